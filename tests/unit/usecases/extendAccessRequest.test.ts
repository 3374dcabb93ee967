import type { AccessRequestInput } from '../../../src/domain/accessRequest';
import type { CallerIdentity } from '../../../src/domain/identity';
import type { AccessRequestRecord } from '../../../src/domain/requestLifecycle';
import { approveAccessRequest, rejectAccessRequest } from '../../../src/usecases/decideAccessRequest';
import { extendAccessRequest } from '../../../src/usecases/extendAccessRequest';
import { submitAccessRequest } from '../../../src/usecases/submitAccessRequest';
import { alice, bob, carol, makeRequestInput, makeRule } from '../../support/accessRequestRecord';
import { makeTestConfig } from '../../support/brokerConfig';
import { makeFakeProvisioningDeps, type FakeProvisioningDeps } from '../../support/fakes';

const HOUR_MS = 3_600_000;

/** Payments as the shipped config has it, with two approvals: public docs for a week need no person. */
function fakeDeps(): FakeProvisioningDeps {
  const rule = makeRule({
    requiredApprovals: 2,
    maxDurationHours: 720,
    autoApprove: [{ s3Levels: ['read', 'list'], bucketPatterns: ['acme-public-*'], maxDurationHours: 168 }],
  });
  return makeFakeProvisioningDeps(makeTestConfig({ approvalRules: [rule] }));
}

const publicDocs: Partial<AccessRequestInput> = { grants: [{ type: 's3', bucket: 'acme-public-docs', level: 'read' }] };
const hoursFromNow = (deps: FakeProvisioningDeps, hours: number) => new Date(deps.clock.now().getTime() + hours * HOUR_MS).toISOString();

/** A plan-only grant active for a day: auto-approved for public docs, otherwise approved by bob and carol. */
async function activeGrant(deps: FakeProvisioningDeps, request: Partial<AccessRequestInput> = {}): Promise<AccessRequestRecord> {
  const submitted = await submitAccessRequest(makeRequestInput({ durationHours: 24, ...request }), alice, deps);
  if (submitted.status === 'active') return submitted;
  await approveAccessRequest(submitted.id, bob, undefined, deps);
  return approveAccessRequest(submitted.id, carol, undefined, deps);
}

const dan: CallerIdentity = { subject: 'dan', groups: ['payments-leads'], source: 'jwt' };

describe('extendAccessRequest', () => {
  it('extends an auto-approvable grant at once, counted from now, and stores it', async () => {
    // Arrange
    const deps = fakeDeps();
    const grant = await activeGrant(deps, publicDocs);
    deps.clock.advanceHours(20);

    // Act
    const extended = await extendAccessRequest(grant.id, { durationHours: 72, justification: 'docs sync runs all week' }, alice, deps);

    // Assert
    expect(extended).toMatchObject({ status: 'active', expiresAt: hoursFromNow(deps, 72), version: grant.version + 1 });
    expect(extended.extension).toBeUndefined();
    expect(deps.store.stored(grant.id)).toEqual(extended);
    expect(extended.events.slice(-2).map((event) => event.type)).toEqual(['extension-requested', 'extended']);
  });

  it('leaves an extension that needs people pending until the required distinct approvers approve', async () => {
    // Arrange
    const deps = fakeDeps();
    const grant = await activeGrant(deps);
    deps.clock.advanceHours(20);
    const asked = await extendAccessRequest(grant.id, { durationHours: 48, justification: 'backfill' }, alice, deps);
    deps.clock.advanceHours(1);

    // Act
    const first = await approveAccessRequest(grant.id, bob, 'ok', deps);
    const second = await approveAccessRequest(grant.id, dan, undefined, deps);

    // Assert
    expect(asked).toMatchObject({ status: 'active', expiresAt: grant.expiresAt, extension: { durationHours: 48 } });
    expect(first).toMatchObject({ expiresAt: grant.expiresAt, extension: { approvals: [{ subject: 'bob', comment: 'ok' }] } });
    expect(second.expiresAt).toBe(hoursFromNow(deps, 48));
    expect(second.extension).toBeUndefined();
    // Approval of an extension never sends the grant to provisioning again.
    expect(deps.queued).toEqual([]);
  });

  it('keeps the grant as it was when an approver rejects the extension', async () => {
    // Arrange
    const deps = fakeDeps();
    const grant = await activeGrant(deps);
    await extendAccessRequest(grant.id, { durationHours: 48, justification: 'backfill' }, alice, deps);

    // Act
    const rejected = await rejectAccessRequest(grant.id, bob, 'run the backfill next month', deps);

    // Assert
    expect(rejected).toMatchObject({ status: 'active', expiresAt: grant.expiresAt });
    expect(rejected.extension).toBeUndefined();
    expect(rejected.events.at(-1)).toMatchObject({ type: 'extension-rejected', comment: 'run the backfill next month' });
  });

  it('refuses a second extension while one is pending and stores nothing for it', async () => {
    // Arrange
    const deps = fakeDeps();
    const grant = await activeGrant(deps);
    const asked = await extendAccessRequest(grant.id, { durationHours: 48, justification: 'backfill' }, alice, deps);

    // Act
    const outcome = extendAccessRequest(grant.id, { durationHours: 96, justification: 'more' }, alice, deps);

    // Assert
    await expect(outcome).rejects.toMatchObject({ code: 'EXTENSION_PENDING' });
    expect(deps.store.stored(grant.id)).toEqual(asked);
  });

  it('refuses a body the schema refuses with 422 before reading the request', async () => {
    // Arrange
    const deps = fakeDeps();

    // Act
    const outcome = extendAccessRequest('req-9999', { durationHours: 48 }, alice, deps);

    // Assert
    await expect(outcome).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('answers 404 for a request that does not exist', async () => {
    // Arrange
    const deps = fakeDeps();

    // Act
    const outcome = extendAccessRequest('req-9999', { durationHours: 48, justification: 'x' }, alice, deps);

    // Assert
    await expect(outcome).rejects.toMatchObject({ code: 'ACCESS_REQUEST_NOT_FOUND' });
  });
});
