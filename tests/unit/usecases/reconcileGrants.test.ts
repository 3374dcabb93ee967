import { BrokerConfigSchema } from '../../../src/domain/brokerConfig';
import type { PolicyDocument } from '../../../src/domain/policyDocument';
import { RequestStatus } from '../../../src/domain/requestLifecycle';
import { workloadKeyOf } from '../../../src/domain/workload';
import { provisionGrant } from '../../../src/usecases/provisionGrant';
import { dispatchReconcile, reconcileAccount, reconcileGrants, runReconcileJob } from '../../../src/usecases/reconcileGrants';
import { submitAccessRequest } from '../../../src/usecases/submitAccessRequest';
import { alice, makeRequestInput, makeRule } from '../../support/accessRequestRecord';
import { makeTestConfig } from '../../support/brokerConfig';
import { makeFakeReconcileDeps, type FakeReconcileDeps } from '../../support/fakes';

const HUB = '111122223333';
const SPOKE = '444455556666';
const DRIFTED: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::acme-invoices/*' }],
};
const rule = makeRule({
  autoApprove: [{ s3Levels: ['read', 'write', 'read-write', 'list'], bucketPatterns: ['*'], managedPolicyArns: [] }],
});

function deps(repairDrift: boolean) {
  return makeFakeReconcileDeps(makeTestConfig({ approvalRules: [rule], provisioning: { enabled: true, repairDrift } }));
}

/** A budget that lets `grants` grants through, then says time is up (the first grant of a pass never asks). */
const budgetOf = (grants: number) => {
  let left = grants - 1;
  return { remainingMs: () => (left-- > 0 ? 1_000 : 0) };
};

async function activeGrant(fakes: FakeReconcileDeps, serviceAccount = 'invoice-exporter') {
  const { id } = await submitAccessRequest(makeRequestInput({ serviceAccount }), alice, fakes);
  const active = await provisionGrant(id, fakes);
  expect(active.status).toBe(RequestStatus.Active);
  return active;
}

describe('reconcileGrants', () => {
  it('repairs a drifted policy document by recreating the policy (same ARN, attached again), never with a policy version', async () => {
    // Arrange: a provisioned grant whose policy someone changed until it holds five versions
    const fakes = deps(true);
    const active = await activeGrant(fakes);
    const policy = active.plan.permissionPolicy!;
    fakes.iam.seedPolicy(policy.arn, policy.tags, [policy.document, DRIFTED, DRIFTED, DRIFTED, DRIFTED], 4);

    // Act
    const report = await reconcileGrants(fakes);

    // Assert
    expect(report.drifted).toEqual([{ id: active.id, drift: [{ what: 'policy-document', detail: policy.arn, outcome: 'repaired' }] }]);
    const versions = fakes.iam.policies.get(policy.arn)!.versions;
    expect(versions.map((version) => version.document)).toEqual([policy.document]);
    expect(fakes.iam.attachments.get(active.plan.role.name)).toContain(policy.arn);
    expect(fakes.iam.writes()).not.toContain('createDefaultPolicyVersion');
    expect(report.failures).toEqual([]);
  });

  it('only reports drift when config does not allow repairs', async () => {
    // Arrange
    const fakes = deps(false);
    const active = await activeGrant(fakes);
    const policy = active.plan.permissionPolicy!;
    fakes.iam.seedPolicy(policy.arn, policy.tags, [policy.document, DRIFTED], 1);
    fakes.iam.forgetCalls();

    // Act
    const report = await reconcileGrants(fakes);

    // Assert
    expect(report.drifted).toEqual([{ id: active.id, drift: [{ what: 'policy-document', detail: policy.arn, outcome: 'reported' }] }]);
    expect(fakes.iam.writes()).toEqual([]);
    expect((await fakes.store.get(active.id))!.events.at(-1)).toMatchObject({ type: 'drift-detected' });
  });

  it('records drift when it appears, changes and clears, and writes nothing on passes that find the same', async () => {
    // Arrange: a provisioned grant, reconciled hourly without repairs
    const fakes = deps(false);
    const active = await activeGrant(fakes);
    const { id } = active;
    const policy = active.plan.permissionPolicy!;
    const driftTypes = async () =>
      (await fakes.store.trail(id)).filter((event) => event.type.startsWith('drift-')).map((event) => [event.type, event.reason]);

    // Act: clean, drifted three times, drifted more, back to clean twice
    await reconcileGrants(fakes);
    fakes.iam.seedPolicy(policy.arn, policy.tags, [policy.document, DRIFTED], 1);
    for (let pass = 0; pass < 3; pass++) await reconcileGrants(fakes);
    const versionAfterDrift = fakes.store.stored(id).version;
    await fakes.iam.detachPolicy(active.plan.role.name, policy.arn);
    await reconcileGrants(fakes);
    fakes.iam.seedPolicy(policy.arn, policy.tags, [policy.document]);
    await fakes.iam.attachPolicy(active.plan.role.name, policy.arn);
    await reconcileGrants(fakes);
    await reconcileGrants(fakes);

    // Assert
    expect(await driftTypes()).toEqual([
      ['drift-detected', `policy-document: ${policy.arn}`],
      ['drift-detected', `policy-document: ${policy.arn}; attachment-missing: ${policy.arn}`],
      ['drift-cleared', 'no drift'],
    ]);
    expect(versionAfterDrift).toBe(active.version + 1);
    expect(fakes.store.stored(id).driftFingerprint).toBeUndefined();
  });

  it('repairs recurring drift each time it recurs, but records drift it cannot repair only once', async () => {
    // Arrange: repairs on; someone keeps editing the policy back, and the role is gone
    const fakes = deps(true);
    const active = await activeGrant(fakes);
    const policy = active.plan.permissionPolicy!;

    // Act
    for (let pass = 0; pass < 2; pass++) {
      fakes.iam.seedPolicy(policy.arn, policy.tags, [policy.document, DRIFTED], 1);
      await reconcileGrants(fakes);
    }
    fakes.iam.roles.delete(active.plan.role.name);
    for (let pass = 0; pass < 3; pass++) await reconcileGrants(fakes);

    // Assert
    const types = (await fakes.store.trail(active.id)).map((event) => event.type).filter((type) => type.startsWith('drift-'));
    expect(types).toEqual(['drift-detected', 'drift-repaired', 'drift-detected', 'drift-repaired', 'drift-detected']);
    const last = await reconcileGrants(fakes);
    expect(last.drifted).toEqual([
      { id: active.id, drift: [{ what: 'role-missing', detail: active.plan.role.arn, outcome: 'skipped', reason: 'needs-new-grant' }] },
    ]);
  });

  it('reads IAM once per account, not per grant: one GetAccountAuthorizationDetails for every grant', async () => {
    // Arrange: five grants, all in order
    const fakes = deps(true);
    for (let index = 0; index < 5; index++) await activeGrant(fakes, `exporter-${index}`);
    fakes.iam.forgetCalls();

    // Act
    const report = await reconcileGrants(fakes);

    // Assert
    expect(report.checked).toBe(5);
    expect(report.drifted).toEqual([]);
    expect(fakes.iam.callNames()).toEqual(['getAuthorizationDetails']);
  });

  it('stops when its budget runs out, keeps where it stopped, and the next pass covers every remaining grant before starting over', async () => {
    // Arrange: five grants created an hour apart
    const fakes = deps(false);
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) {
      ids.push((await activeGrant(fakes, `exporter-${index}`)).id);
      fakes.clock.advanceHours(1);
    }
    const pass = (budget: ReturnType<typeof budgetOf>) => reconcileAccount({ accountId: HUB, passId: 'pass', budget }, fakes);

    // Act
    const first = await pass(budgetOf(2));
    const cursorAfterFirst = await fakes.cursors.get(HUB);
    const second = await pass(budgetOf(100));
    const cursorAfterSecond = await fakes.cursors.get(HUB);
    const third = await pass(budgetOf(100));

    // Assert: oldest first, two then the other three, then all five again
    expect([first.checked, first.remaining, first.complete]).toEqual([2, 3, false]);
    expect(cursorAfterFirst?.after).toContain(ids[1]);
    expect([second.checked, second.remaining, second.complete]).toEqual([3, 0, true]);
    expect(cursorAfterSecond).toMatchObject({ cycles: 1 });
    expect(cursorAfterSecond?.after).toBeUndefined();
    expect([third.checked, third.complete]).toEqual([5, true]);
  });

  it('checks at least one grant even with no budget left, so every pass moves on', async () => {
    // Arrange
    const fakes = deps(false);
    await activeGrant(fakes, 'exporter-a');
    await activeGrant(fakes, 'exporter-b');

    // Act
    const report = await reconcileAccount({ accountId: HUB, passId: 'pass', budget: { remainingMs: () => 0 } }, fakes);

    // Assert
    expect([report.checked, report.remaining]).toEqual([1, 1]);
  });

  it("leaves a role alone that no longer carries this workload's tags, and says so", async () => {
    // Arrange: the trust drifted, and the role was re-tagged for another workload
    const fakes = deps(true);
    const active = await activeGrant(fakes);
    const role = fakes.iam.roles.get(active.plan.role.name)!;
    role.trustPolicy = { ...role.trustPolicy, Statement: [] };
    role.tags = role.tags.map((tag) => (tag.Key === 'irsa-broker:namespace' ? { ...tag, Value: 'elsewhere' } : tag));
    fakes.iam.forgetCalls();

    // Act
    const report = await reconcileGrants(fakes);
    const again = await reconcileGrants(fakes);

    // Assert: skipped, nothing written, and recorded once
    expect(report.drifted).toEqual([
      { id: active.id, drift: [expect.objectContaining({ what: 'trust-policy', outcome: 'skipped', reason: 'not-owned' })] },
    ]);
    expect(fakes.iam.writes()).toEqual([]);
    expect(again.drifted[0]!.drift[0]).toMatchObject({ outcome: 'skipped', reason: 'already-recorded' });
    const types = (await fakes.store.trail(active.id)).map((event) => event.type).filter((type) => type.startsWith('drift-'));
    expect(types).toEqual(['drift-detected']);
  });

  it('re-reads the role before a change: drift fixed since the snapshot is not changed again', async () => {
    // Arrange: a boundary drift that someone puts back between snapshot and repair
    const fakes = deps(true);
    const active = await activeGrant(fakes);
    const role = fakes.iam.roles.get(active.plan.role.name)!;
    role.permissionsBoundaryArn = 'arn:aws:iam::111122223333:policy/other';
    const snapshot = fakes.iam.getAuthorizationDetails.bind(fakes.iam);
    fakes.iam.getAuthorizationDetails = async () => {
      const details = await snapshot();
      role.permissionsBoundaryArn = active.plan.role.permissionsBoundaryArn;
      return details;
    };
    fakes.iam.forgetCalls();

    // Act
    const report = await reconcileGrants(fakes);

    // Assert
    expect(report.drifted[0]!.drift).toEqual([
      expect.objectContaining({ what: 'permissions-boundary', outcome: 'skipped', reason: 'no-longer-drifted' }),
    ]);
    expect(fakes.iam.writes()).toEqual([]);
  });

  it("detaches an extra policy only under the workload's lease: a busy workload is skipped this pass and repaired the next", async () => {
    // Arrange: someone attached a policy by hand, while another change holds the workload
    const fakes = deps(true);
    const active = await activeGrant(fakes);
    const extra = 'arn:aws:iam::aws:policy/AdministratorAccess';
    await fakes.iam.attachPolicy(active.plan.role.name, extra);
    const key = workloadKeyOf('dev', 'payments', 'invoice-exporter');
    const workload = fakes.workloads.records.get(key)!;
    fakes.workloads.records.set(key, { ...workload, lease: { holder: 'req-other', until: '2099-01-01T00:00:00.000Z' } });
    fakes.iam.forgetCalls();

    // Act
    const busy = await reconcileGrants(fakes);
    const detachesWhileBusy = fakes.iam.writes();
    fakes.workloads.records.set(key, workload);
    const free = await reconcileGrants(fakes);

    // Assert
    expect(busy.drifted).toEqual([
      {
        id: active.id,
        drift: [expect.objectContaining({ what: 'attachment-extra', detail: extra, outcome: 'skipped', reason: 'workload-busy' })],
      },
    ]);
    expect(detachesWhileBusy).toEqual([]);
    expect(free.drifted).toEqual([{ id: active.id, drift: [{ what: 'attachment-extra', detail: extra, outcome: 'repaired' }] }]);
    expect(fakes.iam.attachments.get(active.plan.role.name)).not.toContain(extra);
    expect(fakes.workloads.records.get(key)?.lease).toBeUndefined();
  }, 15_000);

  it('reports broker-tagged roles that no workload or active grant knows, and deletes none', async () => {
    // Arrange: one real grant, and a broker-tagged role whose records are gone
    const fakes = deps(true);
    const active = await activeGrant(fakes);
    const role = fakes.iam.roles.get(active.plan.role.name)!;
    fakes.iam.seedRole({ ...role, name: 'irsa-dev-payments-forgotten', path: '/irsa-broker/' });
    fakes.iam.seedRole({ ...role, name: 'not-the-brokers', path: '/irsa-broker/', tags: [] });
    fakes.iam.forgetCalls();

    // Act
    const report = await reconcileGrants(fakes);

    // Assert
    expect(report.orphanRoles).toEqual([
      {
        name: 'irsa-dev-payments-forgotten',
        arn: `arn:aws:iam::${HUB}:role/irsa-broker/irsa-dev-payments-forgotten`,
        taggedWorkload: 'dev/payments/invoice-exporter',
      },
    ]);
    expect(fakes.iam.writes()).toEqual([]);
  });
});

describe('reconcile by account', () => {
  const config = BrokerConfigSchema.parse({
    hubAccountId: HUB,
    permissionsBoundaryArn: `arn:aws:iam::${HUB}:policy/irsa-broker-boundary`,
    clusters: [
      { name: 'dev', region: 'eu-west-1', accountId: HUB, oidcIssuer: 'https://oidc.example.com/id/DEV' },
      {
        name: 'prod',
        region: 'eu-west-1',
        accountId: SPOKE,
        oidcIssuer: 'https://oidc.example.com/id/PROD',
        permissionsBoundaryArn: `arn:aws:iam::${SPOKE}:policy/irsa-broker-boundary`,
      },
    ],
    approvalRules: [{ ...rule, clusters: ['*'] }],
    provisioning: { enabled: true, createOidcProvider: true, repairDrift: true },
  });

  it('dispatches one job per account of the config', async () => {
    // Arrange
    const fakes = makeFakeReconcileDeps(config);

    // Act
    const jobs = await dispatchReconcile(fakes);

    // Assert
    expect(fakes.sent).toEqual(jobs);
    expect(jobs.map((job) => [job.accountId, job.continuation])).toEqual([
      [HUB, 0],
      [SPOKE, 0],
    ]);
    expect(new Set(jobs.map((job) => job.passId)).size).toBe(1);
  });

  it("reads a spoke's IAM in the spoke's session, named for the pass, and checks only that account's grants", async () => {
    // Arrange: one grant in each account
    const fakes = makeFakeReconcileDeps(config);
    const hub = await activeGrant(fakes, 'hub-exporter');
    const { id } = await submitAccessRequest(makeRequestInput({ cluster: 'prod', serviceAccount: 'spoke-exporter' }), alice, fakes);
    const spoke = await provisionGrant(id, fakes);
    expect(spoke.status).toBe(RequestStatus.Active);
    fakes.accounts.requested.length = 0;
    fakes.iam.forgetCalls();
    fakes.accounts.iamOf(SPOKE).forgetCalls();

    // Act
    const report = await reconcileAccount({ accountId: SPOKE, passId: 'pass-1', budget: budgetOf(100) }, fakes);

    // Assert
    expect(report).toMatchObject({ accountId: SPOKE, checked: 1, complete: true, drifted: [], failures: [], orphanRoles: [] });
    expect(fakes.accounts.requested).toEqual([{ accountId: SPOKE, sessionId: 'reconcile-pass-1' }]);
    expect(fakes.accounts.iamOf(SPOKE).callNames()).toEqual(['getAuthorizationDetails']);
    expect(fakes.iam.callNames()).toEqual([]);
    expect(hub.plan.cluster.accountId).toBe(HUB);
  });

  it('hands the rest of a pass cut short to the next message, and none once the account is done', async () => {
    // Arrange
    const fakes = makeFakeReconcileDeps(config);
    await activeGrant(fakes, 'exporter-a');
    await activeGrant(fakes, 'exporter-b');
    const job = { accountId: HUB, passId: 'pass-2', continuation: 0 };

    // Act
    const cut = await runReconcileJob(job, budgetOf(1), fakes);
    const rest = await runReconcileJob(fakes.sent[0]!, budgetOf(100), fakes);

    // Assert
    expect([cut.checked, cut.continued]).toEqual([1, true]);
    expect(fakes.sent).toEqual([{ ...job, continuation: 1 }]);
    expect([rest.checked, rest.complete, rest.continued]).toEqual([1, true, false]);
  });

  it("stops an older pass's hand-offs once a newer scheduled pass has taken the account over", async () => {
    // Arrange: pass A is cut short and hands on; pass B starts before A's next message runs
    const fakes = makeFakeReconcileDeps(config);
    for (const name of ['exporter-a', 'exporter-b', 'exporter-c']) await activeGrant(fakes, name);
    await runReconcileJob({ accountId: HUB, passId: 'pass-a', continuation: 0 }, budgetOf(1), fakes);
    const handOffOfA = fakes.sent[0]!;
    await runReconcileJob({ accountId: HUB, passId: 'pass-b', continuation: 0 }, budgetOf(1), fakes);

    // Act
    const late = await runReconcileJob(handOffOfA, budgetOf(100), fakes);

    // Assert: A's hand-off does nothing; B's chain goes on from where B stopped
    expect(late).toMatchObject({ checked: 0, continued: false, superseded: true });
    expect(fakes.sent.map((job) => [job.passId, job.continuation])).toEqual([
      ['pass-a', 1],
      ['pass-b', 1],
    ]);
    expect([(await runReconcileJob(fakes.sent[1]!, budgetOf(100), fakes)).checked]).toEqual([1]);
  });
});
