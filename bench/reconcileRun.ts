// Body of bench/reconcile (bundled and run by bench/reconcile.mjs): N active provisioned grants over
// two accounts (a hub and a spoke) in moto, their records in dynalite, seeded directly; then
// reconcile passes as the per-account SQS consumer runs them.
import { CreatePolicyCommand, CreatePolicyVersionCommand } from '@aws-sdk/client-iam';
import { startLocalDynamo } from '../scripts/localDynamo.mjs';
import { SdkIamGateway } from '../src/adapters/aws/iamGateway';
import { BrokerConfigSchema, type ClusterConfig } from '../src/domain/brokerConfig';
import type { AccessRequestRecord } from '../src/domain/requestLifecycle';
import type { TimeBudget } from '../src/ports';
import { reconcileAccount, UNLIMITED, type ReconcileReport } from '../src/usecases/reconcileGrants';
import { ensureMotoVenv, startMoto } from '../tests/harness/moto/setup.mjs';
import { iamInAccount } from '../tests/harness/moto/stsTrust';
import {
  credentials,
  iamClient,
  motoAccountSessions,
  newCallLog,
  provisioningDeps,
  withReconcile,
} from '../tests/support/provisioningHarness';
import { seedActiveGrants } from '../tests/support/reconcileSeed';

const root = process.env.BENCH_ROOT!;
const grants = Number(process.env.BENCH_GRANTS ?? 1000);
const HUB = '123456789012';
const SPOKE = '222222222222';
/** What the reconciler made per grant before: GetRole, GetPolicy + GetPolicyVersion + ListPolicyVersions, ListAttachedRolePolicies. */
const CALLS_PER_GRANT_BEFORE = 5;
/** The target: at most 1% of that. */
const TARGET_PER_GRANT = CALLS_PER_GRANT_BEFORE / 100;
const BASELINE_SAMPLE = Math.min(100, grants);

const boundaryArn = (account: string) => `arn:aws:iam::${account}:policy/irsa-broker-boundary`;
const cluster = (name: string, accountId: string): ClusterConfig => ({
  name,
  region: 'eu-west-1',
  accountId,
  partition: 'aws',
  oidcIssuer: `https://oidc.harness.local/id/${name}`,
  permissionsBoundaryArn: boundaryArn(accountId),
});
const CLUSTERS = [cluster('bench-hub', HUB), cluster('bench-spoke', SPOKE)];
const config = BrokerConfigSchema.parse({
  hubAccountId: HUB,
  permissionsBoundaryArn: boundaryArn(HUB),
  clusters: CLUSTERS,
  // Report only: recording drift costs store writes but no IAM call, so a pass's IAM calls are its reads.
  provisioning: { enabled: true, repairDrift: false },
});
/** Every tenth grant's policy is edited by hand, so the first cycle has drift to record. */
const DRIFT_EVERY = 10;
const WIDENED = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::acme-bench/*' }] };
/** The grant loop's budget in the cut-short pass (the snapshot and store reads come before it). */
const CUT_BUDGET_MS = Number(process.env.BENCH_CUT_MS ?? 150);

/** Wall-clock time from the first time it is asked (at a pass's second grant, after the snapshot and store reads). */
function timeBudget(ms: number): TimeBudget {
  let deadline: number | undefined;
  return { remainingMs: () => (deadline ??= Date.now() + ms) - Date.now() };
}

async function main() {
  await ensureMotoVenv(root);
  const [moto, dynamo] = await Promise.all([startMoto(root), startLocalDynamo({ root, tableName: 'irsa-broker-test' })]);
  try {
    await moto.reset();
    const iamLog = newCallLog();
    const stsLog = newCallLog();
    const deps = withReconcile(
      {
        ...provisioningDeps(moto.endpoint, dynamo.endpoint, iamLog),
        config,
        accounts: motoAccountSessions(moto.endpoint, config, iamLog, { stsLog }),
      },
      dynamo.endpoint,
    );

    const seedStarted = performance.now();
    const seeded: AccessRequestRecord[] = [];
    for (const [index, clusterConfig] of CLUSTERS.entries()) {
      const iam = iamInAccount(moto.endpoint, credentials, clusterConfig.accountId);
      await iam.send(
        new CreatePolicyCommand({
          PolicyName: 'irsa-broker-boundary',
          PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
        }),
      );
      const count = Math.floor(grants / 2) + (index === 0 ? grants % 2 : 0);
      seeded.push(
        ...(await seedActiveGrants({
          config,
          cluster: clusterConfig,
          iam,
          store: deps.store,
          workloads: deps.workloads,
          count,
          namespace: 'bench',
        })),
      );
    }
    const drifted = seeded.filter((_, index) => index % DRIFT_EVERY === 0);
    for (const record of drifted) {
      await iamInAccount(moto.endpoint, credentials, record.plan.cluster.accountId).send(
        new CreatePolicyVersionCommand({
          PolicyArn: record.plan.permissionPolicy!.arn,
          PolicyDocument: JSON.stringify(WIDENED),
          SetAsDefault: true,
        }),
      );
    }
    const seedMs = performance.now() - seedStarted;

    // Before: the per-grant reads the reconciler made, on a sample of hub grants.
    const baselineLog = newCallLog();
    const before = new SdkIamGateway(iamClient(moto.endpoint, baselineLog));
    const sample = seeded.filter((entry) => entry.plan.cluster.accountId === HUB).slice(0, BASELINE_SAMPLE);
    const baselineStarted = performance.now();
    for (const record of sample) {
      await before.findRole(record.plan.role.name);
      await before.findPolicy(record.plan.permissionPolicy!.arn);
      await before.listAttachedPolicyArns(record.plan.role.name);
    }
    const baselineMsPerGrant = (performance.now() - baselineStarted) / sample.length;
    const baselinePerGrant = baselineLog.calls.length / sample.length;

    // Each account on its own, as its SQS consumer runs it.
    const pass = async (budget: () => TimeBudget) => {
      iamLog.calls.length = 0;
      stsLog.calls.length = 0;
      const started = performance.now();
      const reports: ReconcileReport[] = [];
      for (const accountId of [HUB, SPOKE]) {
        reports.push(await reconcileAccount({ accountId, passId: `bench-${Date.now()}`, budget: budget() }, deps));
      }
      return { reports, ms: performance.now() - started, iamCalls: iamLog.calls.length, stsCalls: stsLog.calls.length };
    };
    // The first cycle: a pass cut short by its budget records the drift it reaches; the next covers the rest.
    const cut = await pass(() => timeBudget(CUT_BUDGET_MS));
    const rest = await pass(() => UNLIMITED);
    // The steady state: a fresh cycle over grants whose drift is recorded already.
    const steady = await pass(() => UNLIMITED);
    const checked = steady.reports.reduce((sum, report) => sum + report.checked, 0);
    const perGrant = steady.iamCalls / checked;
    const firstCycle = cut.reports.map((report, index) => report.checked + (report.complete ? 0 : rest.reports[index]!.checked));
    const firstCycleCovered = firstCycle.reduce((sum, count) => sum + count, 0);
    const driftFound = [...cut.reports, ...rest.reports.filter((_, index) => !cut.reports[index]!.complete)].reduce(
      (sum, report) => sum + report.drifted.length,
      0,
    );

    console.log(
      `bench/reconcile: ${grants} active provisioned grants over two accounts (hub ${HUB}, spoke ${SPOKE}), against moto and dynalite`,
    );
    console.log(
      `seeded in ${(seedMs / 1000).toFixed(1)} s (IAM objects and records written directly); every ${DRIFT_EVERY}th policy edited by hand`,
    );
    console.table({
      'IAM calls per pass (both accounts)': { value: steady.iamCalls, before: (baselinePerGrant * checked).toFixed(0), ratio: '-' },
      'IAM calls per grant': {
        value: perGrant.toFixed(4),
        before: baselinePerGrant.toFixed(3),
        ratio: `${((100 * perGrant) / CALLS_PER_GRANT_BEFORE).toFixed(2)}% of ${CALLS_PER_GRANT_BEFORE} (target ≤ 1%: ≤ ${TARGET_PER_GRANT})`,
      },
      'STS AssumeRole per pass (the spoke)': { value: steady.stsCalls, before: '-', ratio: '-' },
      'ms per 1,000 grants (whole pass)': {
        value: ((1000 * steady.ms) / checked).toFixed(0),
        before: (1000 * baselineMsPerGrant).toFixed(0),
        ratio: `${((steady.ms / checked / baselineMsPerGrant) * 100).toFixed(1)}%`,
      },
      'grants checked, steady pass': { value: checked, before: '-', ratio: '-' },
      'drifted grants found in the first cycle': { value: driftFound, before: drifted.length, ratio: '-' },
    });
    const covered = (label: string, run: Awaited<ReturnType<typeof pass>>) =>
      Object.fromEntries(
        run.reports.map((report) => [
          `${label} ${report.accountId === HUB ? 'hub' : 'spoke'}`,
          { checked: report.checked, remaining: report.remaining, complete: report.complete, 'drift reported': report.drifted.length },
        ]),
      );
    console.log(
      `the first cycle: a pass cut short (grant loop budget ${CUT_BUDGET_MS} ms per account), the next pass; then the steady pass:`,
    );
    console.table({ ...covered('cut short:', cut), ...covered('next pass:', rest), ...covered('steady:', steady) });
    console.log(
      `first cycle covered ${firstCycleCovered} of ${checked} grants (hub ${firstCycle[0]}, spoke ${firstCycle[1]}): ` +
        `${cut.reports.map((report) => report.checked).join(' + ')} in the cut pass, the rest in the next`,
    );
    console.log(
      `before: ${baselinePerGrant} calls per grant (measured on ${sample.length} grants): ${JSON.stringify(countBy(baselineLog.calls))}`,
    );
    console.log('now: one GetAccountAuthorizationDetails per account and pass (moto answers in one page; IAM pages at 1,000 items).');
    if (firstCycleCovered !== checked || driftFound !== drifted.length || perGrant > TARGET_PER_GRANT) process.exitCode = 1;
  } finally {
    await Promise.all([moto.stop(), dynamo.stop()]);
  }
}

function countBy(values: string[]): Record<string, number> {
  return values.reduce<Record<string, number>>((counts, value) => ({ ...counts, [value]: (counts[value] ?? 0) + 1 }), {});
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
