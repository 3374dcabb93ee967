import { NotifyingStore } from '../../../src/adapters/notifyingStore';
import { notifyJobOf, type NotifyJob } from '../../../src/domain/jobs';
import type { AccessRequestRecord } from '../../../src/domain/requestLifecycle';
import type { Notifier } from '../../../src/ports';
import type { AccessRequestDeps } from '../../../src/usecases/accessRequestDeps';
import { approveAccessRequest } from '../../../src/usecases/decideAccessRequest';
import { expireGrants } from '../../../src/usecases/expireGrants';
import { extendAccessRequest } from '../../../src/usecases/extendAccessRequest';
import { submitAccessRequest } from '../../../src/usecases/submitAccessRequest';
import { alice, bob, makeRequestInput, makeRule } from '../../support/accessRequestRecord';
import { makeTestConfig } from '../../support/brokerConfig';
import { makeFakeProvisioningDeps } from '../../support/fakes';

/** Notifications as the Slack worker would receive them: the facts of each stored change. */
class RecordingNotifier implements Notifier {
  readonly jobs: NotifyJob[] = [];

  async requestStored(record: AccessRequestRecord, isNew: boolean): Promise<void> {
    this.jobs.push(notifyJobOf(record, isNew));
  }
}

/** Fakes whose store tells every write, as deployed; expiry warnings six hours ahead. */
function fakeDeps() {
  const deps = makeFakeProvisioningDeps(makeTestConfig({ approvalRules: [makeRule()], notifications: { expiryWarningHours: 6 } }));
  const notifier = new RecordingNotifier();
  return { ...deps, store: new NotifyingStore(deps.store, notifier), notifier };
}

/** A plan-only grant approved by bob, active for `hours`. */
async function activeGrant(deps: AccessRequestDeps, hours: number): Promise<AccessRequestRecord> {
  const { id } = await submitAccessRequest(makeRequestInput({ durationHours: hours, serviceAccount: `job-${hours}` }), alice, deps);
  return approveAccessRequest(id, bob, undefined, deps);
}

const warningsOf = (notifier: RecordingNotifier) => notifier.jobs.filter((job) => job.event === 'expiry-warning');

describe('expireGrants: expiry warnings', () => {
  it('warns the requester of a grant within the warning window once, and sends nothing on the next pass', async () => {
    // Arrange
    const deps = fakeDeps();
    const soon = await activeGrant(deps, 24);
    const later = await activeGrant(deps, 48);
    deps.clock.advanceHours(18);

    // Act
    const first = await expireGrants(deps);
    const second = await expireGrants(deps);

    // Assert
    expect(first.expiryWarnings).toEqual([soon.id]);
    expect(second.expiryWarnings).toEqual([]);
    expect(warningsOf(deps.notifier)).toEqual([
      expect.objectContaining({ requestId: soon.id, status: 'active', statusChanged: false, expiresAt: soon.expiresAt }),
    ]);
    expect((await deps.store.get(soon.id))?.events.filter((event) => event.type === 'expiry-warning')).toHaveLength(1);
    expect((await deps.store.get(later.id))?.expiryWarning).toBeUndefined();
  });

  it('warns again before the new expiry once an extension moved it', async () => {
    // Arrange
    const deps = fakeDeps();
    const grant = await activeGrant(deps, 24);
    deps.clock.advanceHours(18);
    await expireGrants(deps);
    await extendAccessRequest(grant.id, { durationHours: 12, justification: 'one more night' }, alice, deps);
    await approveAccessRequest(grant.id, bob, undefined, deps);

    // Act
    const beforeWindow = await expireGrants(deps);
    deps.clock.advanceHours(7);
    const inWindow = await expireGrants(deps);

    // Assert
    expect(beforeWindow.expiryWarnings).toEqual([]);
    expect(inWindow.expiryWarnings).toEqual([grant.id]);
    expect(warningsOf(deps.notifier).map((job) => job.expiresAt)).toEqual([grant.expiresAt, (await deps.store.get(grant.id))?.expiresAt]);
  });

  it('expires a grant past its end instead of warning it', async () => {
    // Arrange
    const deps = fakeDeps();
    const grant = await activeGrant(deps, 24);
    deps.clock.advanceHours(25);

    // Act
    const report = await expireGrants(deps);

    // Assert
    expect(report).toMatchObject({ expiredGrants: [grant.id], expiryWarnings: [], failures: [] });
  });
});
