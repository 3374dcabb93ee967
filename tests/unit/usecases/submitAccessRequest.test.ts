import type { CallerIdentity } from '../../../src/domain/identity';
import type { AccessRequestRecord } from '../../../src/domain/requestLifecycle';
import { submitAccessRequest } from '../../../src/usecases/submitAccessRequest';
import { alice, makeRequestInput, makeRule } from '../../support/accessRequestRecord';
import { makeTestConfig } from '../../support/brokerConfig';
import { makeFakeProvisioningDeps, type FakeProvisioningDeps } from '../../support/fakes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Payments with provisioning on, so that an auto-approved request stays `approved` until provisioning takes it. */
function fakeDeps(): FakeProvisioningDeps {
  const rule = makeRule({ autoApprove: [{ s3Levels: ['read', 'list'], bucketPatterns: ['acme-public-*'], maxDurationHours: 168 }] });
  return makeFakeProvisioningDeps(makeTestConfig({ approvalRules: [rule], provisioning: { enabled: true } }));
}
const publicDocs = makeRequestInput({ durationHours: 24, grants: [{ type: 's3', bucket: 'acme-public-docs', level: 'read' }] });
/** Another owner of the namespace. */
const olga: CallerIdentity = { subject: 'olga', groups: ['team-payments'], source: 'jwt' };

describe('submitAccessRequest with an Idempotency-Key', () => {
  it('files one request per caller and key, under a name-based UUID', async () => {
    // Arrange
    const deps = fakeDeps();

    // Act
    const first = await submitAccessRequest(makeRequestInput(), alice, deps, { idempotencyKey: 'portal-1' });
    const again = await submitAccessRequest(makeRequestInput(), alice, deps, { idempotencyKey: 'portal-1' });

    // Assert
    expect(first.id).toMatch(UUID);
    expect(again).toMatchObject({ id: first.id, version: first.version, createdAt: first.createdAt });
    expect(deps.store.records.size).toBe(1);
  });

  it("gives another caller's same key another request", async () => {
    const deps = fakeDeps();
    const mine = await submitAccessRequest(makeRequestInput(), alice, deps, { idempotencyKey: 'portal-1' });
    const theirs = await submitAccessRequest(makeRequestInput(), olga, deps, { idempotencyKey: 'portal-1' });
    expect(theirs.id).not.toBe(mine.id);
    expect(deps.store.records.size).toBe(2);
  });

  it('refuses the same key with another body with 409 IDEMPOTENCY_KEY_REUSED', async () => {
    const deps = fakeDeps();
    await submitAccessRequest(makeRequestInput(), alice, deps, { idempotencyKey: 'portal-1' });
    await expect(
      submitAccessRequest(makeRequestInput({ justification: 'something else' }), alice, deps, { idempotencyKey: 'portal-1' }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(deps.store.records.size).toBe(1);
  });

  it('takes the same request with its fields in another order as the same body', async () => {
    const deps = fakeDeps();
    const body = makeRequestInput();
    const reordered = Object.fromEntries(Object.entries(body).reverse());
    const first = await submitAccessRequest(body, alice, deps, { idempotencyKey: 'portal-1' });
    expect((await submitAccessRequest(reordered, alice, deps, { idempotencyKey: 'portal-1' })).id).toBe(first.id);
  });

  it('treats every session of one IAM role as the same caller', async () => {
    const deps = fakeDeps();
    const session = (name: string): CallerIdentity => ({
      subject: `arn:aws:sts::111122223333:assumed-role/portal-backend/${name}`,
      groups: ['team-payments'],
      source: 'iam',
    });
    const first = await submitAccessRequest(makeRequestInput(), session('botocore-session-1'), deps, { idempotencyKey: 'k' });
    const renewed = await submitAccessRequest(makeRequestInput(), session('botocore-session-2'), deps, { idempotencyKey: 'k' });
    expect(renewed.id).toBe(first.id);
  });

  it('hands an approved request to provisioning again on a replay, in case the first attempt died before it', async () => {
    // Arrange: the first attempt stored the auto-approved request and its hand-off failed.
    const deps = fakeDeps();
    const enqueue = deps.queue.enqueue;
    deps.queue.enqueue = () => Promise.reject(new Error('Lambda did not answer'));
    await expect(submitAccessRequest(publicDocs, alice, deps, { idempotencyKey: 'auto-1' })).rejects.toThrow('Lambda did not answer');
    deps.queue.enqueue = enqueue;

    // Act
    const replayed = await submitAccessRequest(publicDocs, alice, deps, { idempotencyKey: 'auto-1' });

    // Assert
    expect(replayed.status).toBe('approved');
    expect(deps.queued).toEqual([replayed.id]);
    expect(deps.store.records.size).toBe(1);
  });

  it('answers concurrent attempts with one stored request', async () => {
    const deps = fakeDeps();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => submitAccessRequest(makeRequestInput(), alice, deps, { idempotencyKey: 'burst' })),
    );
    expect(new Set(results.map((record: AccessRequestRecord) => record.id)).size).toBe(1);
    expect(deps.store.records.size).toBe(1);
  });

  it('returns its own request when the store took the write but the answer was lost', async () => {
    // Arrange: the store commits, then fails — as a Put whose answer is lost, retried by the SDK, meets its own item.
    const deps = fakeDeps();
    const create = deps.store.create.bind(deps.store);
    deps.store.create = async (record) => {
      await create(record);
      return create(record);
    };

    // Act
    const record = await submitAccessRequest(makeRequestInput(), alice, deps);

    // Assert
    expect(deps.store.records.get(record.id)?.id).toBe(record.id);
    expect(deps.store.records.size).toBe(1);
  });
});
