import { DependencyUnavailableError } from '../../../src/domain/errors';
import type { RoleSpec } from '../../../src/ports';
import { RequestStatus, type AccessRequestRecord } from '../../../src/domain/requestLifecycle';
import { provisionGrant } from '../../../src/usecases/provisionGrant';
import { beginEnding, finishEnding } from '../../../src/usecases/removeGrant';
import { submitAccessRequest } from '../../../src/usecases/submitAccessRequest';
import { alice, bob, makeRequestInput, makeRule } from '../../support/accessRequestRecord';
import { makeTestConfig } from '../../support/brokerConfig';
import { FakeIamGateway, InMemoryAccessRequestStore, makeFakeProvisioningDeps, type FakeProvisioningDeps } from '../../support/fakes';

/** A store that refuses its `failAt`-th write (a DynamoDB outage), as if the function had died there. */
class FailingStore extends InMemoryAccessRequestStore {
  private writes = 0;
  failAt = 0;

  override async replace(record: AccessRequestRecord, expectedVersion: number): Promise<void> {
    if (++this.writes === this.failAt) throw new DependencyUnavailableError('STORE_UNAVAILABLE', 'the request store could not be written');
    return super.replace(record, expectedVersion);
  }
}

/** IAM whose CreateRole first runs `during` (another actor's move while the call is in flight). */
class InterleavingIam extends FakeIamGateway {
  during: () => Promise<void> = async () => undefined;

  override async createRole(spec: RoleSpec) {
    await this.during();
    return super.createRole(spec);
  }
}

function setUp(options: { store?: InMemoryAccessRequestStore; iam?: FakeIamGateway } = {}): FakeProvisioningDeps {
  const rule = makeRule({ autoApprove: [{ s3Levels: ['read', 'write', 'read-write', 'list'], bucketPatterns: ['*'] }] });
  const base = makeFakeProvisioningDeps(makeTestConfig({ approvalRules: [rule], provisioning: { enabled: true } }), { iam: options.iam });
  return options.store ? { ...base, store: options.store } : base;
}

async function approved(deps: FakeProvisioningDeps): Promise<string> {
  const record = await submitAccessRequest(makeRequestInput(), alice, deps);
  return record.id;
}

const trailOf = async (deps: FakeProvisioningDeps, id: string) =>
  (await deps.store.trail(id)).map((event) => [event.type, event.reason ?? event.comment ?? ''] as const);

describe('write-ahead audit of provisioning', () => {
  it('confirms, with a read, a change whose run stopped before recording it, and does not make it again', async () => {
    // Arrange: CreateRole happens, then the store refuses its confirmation; the grant fails with the intent unsettled.
    const store = new FailingStore();
    const deps = setUp({ store });
    const id = await approved(deps);
    store.failAt = 5; // start, intent CreatePolicy, confirm, intent CreateRole, *confirm CreateRole*
    const failed = await provisionGrant(id, deps);
    deps.iam.forgetCalls();

    // Act: the retry takes the request up.
    const active = await provisionGrant(id, deps);

    // Assert
    expect(failed.status).toBe(RequestStatus.Failed);
    expect(failed.provisioning?.lastError).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    expect(failed.provisioning?.intent).toMatchObject({ action: 'CreateRole' });
    expect(active.status).toBe(RequestStatus.Active);
    expect(deps.iam.writes()).toEqual(['attachPolicy']);
    const trail = await trailOf(deps, id);
    const createRole = trail.filter(([, reason]) => reason.startsWith('CreateRole'));
    expect(createRole).toEqual([
      ['change-intended', `CreateRole ${active.plan.role.arn}`],
      ['aws-change', `CreateRole ${active.plan.role.arn} (confirmed by a read: the run that made it stopped before recording it)`],
    ]);
  });

  it('records as not made an intended change whose call never happened, then makes it', async () => {
    // Arrange: the run dies as it writes the intent's confirmation... of nothing: the call itself failed ambiguously.
    const iam = new InterleavingIam();
    const deps = setUp({ iam });
    const id = await approved(deps);
    iam.during = async () => {
      throw new DependencyUnavailableError('IAM_TIMEOUT', 'IAM did not answer');
    };
    const failed = await provisionGrant(id, deps);
    iam.during = async () => undefined;

    // Act
    const active = await provisionGrant(id, deps);

    // Assert
    expect(failed.status).toBe(RequestStatus.Failed);
    expect(failed.provisioning?.lastError).toMatchObject({ code: 'IAM_TIMEOUT', retryable: true });
    expect(failed.expiresAt).toBeDefined();
    expect(active.status).toBe(RequestStatus.Active);
    const createRole = (await trailOf(deps, id)).filter(([, reason]) => reason.startsWith('CreateRole'));
    expect(createRole).toEqual([
      ['change-intended', `CreateRole ${active.plan.role.arn}`],
      ['change-not-made', `CreateRole ${active.plan.role.arn} (a read shows it did not happen: the run stopped before or during the call)`],
      ['change-intended', `CreateRole ${active.plan.role.arn}`],
      ['aws-change', `CreateRole ${active.plan.role.arn}`],
    ]);
  });
});

describe('revoke wins', () => {
  it('stops a provisioning run before its next change once a revoke is recorded, and the revoke removes what it made', async () => {
    // Arrange: the revoke is recorded while CreateRole is in flight.
    const iam = new InterleavingIam();
    const deps = setUp({ iam });
    const id = await approved(deps);
    iam.during = async () => {
      iam.during = async () => undefined;
      await beginEnding(id, RequestStatus.Revoked, bob, 'no longer needed', deps);
    };

    // Act
    const stopped = await provisionGrant(id, deps);
    const revoked = await finishEnding(stopped, deps);

    // Assert
    expect(stopped.status).toBe(RequestStatus.Revoking);
    expect(iam.writes()).not.toContain('attachPolicy');
    expect(revoked.status).toBe(RequestStatus.Revoked);
    expect(iam.roles.size).toBe(0);
    expect(iam.policies.size).toBe(0);
    const trail = await trailOf(deps, id);
    // The change that did happen is in the trail, and so is its removal.
    expect(trail).toContainEqual(['aws-change', `CreateRole ${revoked.plan.role.arn}`]);
    expect(trail).toContainEqual(['aws-change', `DeleteRole ${revoked.plan.role.arn}`]);
    expect(trail.at(-1)).toEqual(['revoked', 'no longer needed']);
  });

  it('leaves a request that is revoking alone when its provisioning job arrives late', async () => {
    // Arrange
    const deps = setUp();
    const id = await approved(deps);
    await beginEnding(id, RequestStatus.Revoked, bob, undefined, deps);

    // Act
    const outcome = await provisionGrant(id, deps);

    // Assert
    expect(outcome.status).toBe(RequestStatus.Revoking);
    expect(deps.iam.writes()).toEqual([]);
  });

  it('revokes a failed grant whose last change was never confirmed, settling that change first', async () => {
    // Arrange: the store refused CreateRole's confirmation.
    const store = new FailingStore();
    const deps = setUp({ store });
    const id = await approved(deps);
    store.failAt = 5;
    await provisionGrant(id, deps);

    // Act
    const ending = await beginEnding(id, RequestStatus.Revoked, bob, undefined, deps);
    const revoked = await finishEnding(ending, deps);

    // Assert
    expect(revoked.status).toBe(RequestStatus.Revoked);
    expect(deps.iam.roles.size).toBe(0);
    expect(deps.iam.policies.size).toBe(0);
    expect((await trailOf(deps, id)).filter(([, reason]) => reason.startsWith('CreateRole'))).toEqual([
      ['change-intended', `CreateRole ${revoked.plan.role.arn}`],
      ['aws-change', `CreateRole ${revoked.plan.role.arn} (confirmed by a read: the run that made it stopped before recording it)`],
    ]);
  });
});
