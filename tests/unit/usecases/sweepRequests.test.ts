import { randomUUID } from 'node:crypto';
import { DependencyUnavailableError } from '../../../src/domain/errors';
import { RequestStatus } from '../../../src/domain/requestLifecycle';
import type { FailedInvocation, FailedInvocations, RoleSpec } from '../../../src/ports';
import { provisionGrant } from '../../../src/usecases/provisionGrant';
import { beginEnding } from '../../../src/usecases/removeGrant';
import { submitAccessRequest } from '../../../src/usecases/submitAccessRequest';
import { MAX_AUTOMATIC_ATTEMPTS, sweepRequests } from '../../../src/usecases/sweepRequests';
import { alice, bob, makeRequestInput, makeRule } from '../../support/accessRequestRecord';
import { makeTestConfig } from '../../support/brokerConfig';
import { FakeIamGateway, makeFakeProvisioningDeps, type FakeProvisioningDeps } from '../../support/fakes';

/** IAM whose AttachRolePolicy fails while `failing` is set (the grant fails after its role was made). */
class FlakyIam extends FakeIamGateway {
  failing = false;

  override async attachPolicy(roleName: string, policyArn: string) {
    if (this.failing) throw new DependencyUnavailableError('IAM_SERVICE_FAILURE', 'IAM is having a bad day');
    return super.attachPolicy(roleName, policyArn);
  }

  override async createRole(spec: RoleSpec) {
    return super.createRole(spec);
  }
}

class QueuedFailures implements FailedInvocations {
  deleted: string[] = [];
  constructor(private pending: FailedInvocation[]) {}
  async receive(max: number) {
    const batch = this.pending.slice(0, max);
    this.pending = this.pending.slice(max);
    return batch;
  }
  async delete(receipt: string) {
    this.deleted.push(receipt);
  }
}

function setUp(iam = new FlakyIam()): FakeProvisioningDeps & { iam: FlakyIam } {
  const rule = makeRule({ autoApprove: [{ s3Levels: ['read', 'write', 'read-write', 'list'], bucketPatterns: ['*'] }] });
  const config = makeTestConfig({ approvalRules: [rule], provisioning: { enabled: true } });
  return { ...makeFakeProvisioningDeps(config, { iam }), iam };
}

const MINUTE_HOURS = 1 / 60;

describe('sweepRequests', () => {
  it('hands an approved request off again when its hand-off was lost, but not one approved a moment ago', async () => {
    // Arrange
    const deps = setUp();
    const { id } = await submitAccessRequest(makeRequestInput(), alice, deps);
    deps.queued.length = 0;

    // Act
    const early = await sweepRequests(deps);
    deps.clock.advanceHours(3 * MINUTE_HOURS);
    const late = await sweepRequests(deps);

    // Assert
    expect(early.handedOff).toEqual([]);
    expect(late.handedOff).toEqual([id]);
    expect(deps.queued).toEqual([id]);
  });

  it('resumes a provisioning run past its deadline, and leaves one within it alone', async () => {
    // Arrange: a run started and died (nothing else wrote the request).
    const deps = setUp();
    const { id } = await submitAccessRequest(makeRequestInput(), alice, deps);
    const record = deps.store.stored(id);
    const deadline = new Date(deps.clock.now().getTime() + 150_000).toISOString();
    deps.store.records.set(id, { ...record, status: RequestStatus.Provisioning, provisioning: { attempts: 1, deadline } });
    deps.queued.length = 0;

    // Act
    const within = await sweepRequests(deps);
    deps.clock.advanceHours(5 * MINUTE_HOURS);
    const past = await sweepRequests(deps);
    const resumed = await provisionGrant(id, deps);

    // Assert
    expect(within.resumed).toEqual([]);
    expect(past.resumed).toEqual([id]);
    expect(resumed.status).toBe(RequestStatus.Active);
    expect((await deps.store.trail(id)).map((event) => event.type)).toContain('resumed');
  });

  it(`fails a request that stayed stuck through ${MAX_AUTOMATIC_ATTEMPTS} runs, with an expiry`, async () => {
    // Arrange
    const deps = setUp();
    const { id } = await submitAccessRequest(makeRequestInput(), alice, deps);
    const record = deps.store.stored(id);
    deps.store.records.set(id, {
      ...record,
      status: RequestStatus.Provisioning,
      provisioning: { attempts: MAX_AUTOMATIC_ATTEMPTS, deadline: record.createdAt },
    });

    // Act
    const report = await sweepRequests(deps);

    // Assert
    expect(report.failedStuck).toEqual([id]);
    const failed = deps.store.stored(id);
    expect(failed.status).toBe(RequestStatus.Failed);
    expect(failed.provisioning?.lastError).toMatchObject({ code: 'PROVISIONING_STUCK', retryable: false });
    expect(failed.expiresAt).toBeDefined();
  });

  it('retries a grant that failed for a retryable reason after a backoff, then expires it and removes its role', async () => {
    // Arrange: the grant fails after CreateRole.
    const iam = new FlakyIam();
    const deps = setUp(iam);
    const { id } = await submitAccessRequest(makeRequestInput(), alice, deps);
    iam.failing = true;
    const failed = await provisionGrant(id, deps);
    deps.queued.length = 0;

    // Act
    const soon = await sweepRequests(deps);
    deps.clock.advanceHours(10 * MINUTE_HOURS);
    const later = await sweepRequests(deps);
    deps.clock.advanceHours(deps.config.provisioning.failedGrantHours);
    const expired = await sweepRequests(deps);

    // Assert
    expect(failed.status).toBe(RequestStatus.Failed);
    expect(iam.roles.size).toBe(0);
    expect(soon.retried).toEqual([]);
    expect(later.retried).toEqual([id]);
    expect(expired.expiredFailed).toEqual([id]);
    expect(deps.store.stored(id).status).toBe(RequestStatus.Expired);
    expect(iam.policies.size).toBe(0);
  });

  it('finishes a revoke that could not finish', async () => {
    // Arrange
    const deps = setUp();
    const { id } = await submitAccessRequest(makeRequestInput(), alice, deps);
    await provisionGrant(id, deps);
    await beginEnding(id, RequestStatus.Revoked, bob, undefined, deps);

    // Act
    const report = await sweepRequests(deps);

    // Assert
    expect(report.finishedEnding).toEqual([id]);
    expect(deps.store.stored(id).status).toBe(RequestStatus.Revoked);
    expect(deps.iam.roles.size).toBe(0);
  });

  it('drains the on-failure destination: looks at each request at once and deletes every message, even one it cannot read', async () => {
    // Arrange: request ids as deployed (jobs carry UUIDs).
    const deps = { ...setUp(), ids: { newId: () => randomUUID() } };
    const { id } = await submitAccessRequest(makeRequestInput(), alice, deps);
    deps.clock.advanceHours(3 * MINUTE_HOURS);
    deps.queued.length = 0;
    const failures = new QueuedFailures([
      { receipt: 'r1', payload: { requestId: id }, condition: 'RetriesExhausted' },
      { receipt: 'r2', payload: 'not a job' },
    ]);

    // Act
    const report = await sweepRequests({ ...deps, failedInvocations: failures });

    // Assert
    expect(report.failedInvocations).toBe(2);
    expect(report.droppedInvocations).toEqual([{ kind: 'unreadable' }]);
    expect(failures.deleted).toEqual(['r1', 'r2']);
    expect(report.handedOff).toEqual([id]);
    expect(deps.queued).toEqual([id]);
  });

  it('sends a lost Slack notification once more, and reports commands, decisions and a second failure instead', async () => {
    // Arrange
    const deps = setUp();
    const sent: unknown[] = [];
    const notify = { kind: 'notify', requestId: 'req-9', isNew: true, status: 'pending', statusChanged: false } as const;
    const failures = new QueuedFailures([
      { receipt: 'n1', payload: notify, condition: 'RetriesExhausted' },
      { receipt: 'n2', payload: { ...notify, redelivered: true }, condition: 'RetriesExhausted' },
      { receipt: 'c1', payload: { kind: 'command', text: 'list', userId: 'U123', channelId: 'C123' } },
    ]);

    // Act
    const report = await sweepRequests({
      ...deps,
      failedInvocations: failures,
      slackJobs: { enqueue: async (job) => void sent.push(job) },
    });

    // Assert
    expect(sent).toEqual([{ ...notify, redelivered: true }]);
    expect(report.redeliveredNotifications).toEqual(['req-9']);
    expect(report.droppedInvocations).toEqual([{ kind: 'notify', requestId: 'req-9', condition: 'RetriesExhausted' }, { kind: 'command' }]);
    expect(failures.deleted).toEqual(['n1', 'n2', 'c1']);
  });
});
