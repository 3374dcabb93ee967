import { findOrphanRoles, makeAccountSnapshot, type AccountSnapshot, type OrphanRole } from '../domain/accountSnapshot';
import { ConflictError } from '../domain/errors';
import {
  driftFingerprint,
  findDriftIn,
  isLastingSkip,
  isRepairable,
  RepairOutcome,
  SkipReason,
  type Drift,
  type GrantDriftReport,
  type ReconcileReport,
} from '../domain/drift';
import { SYSTEM_IDENTITY } from '../domain/identity';
import { MAX_RECONCILE_CONTINUATIONS, type ReconcileJob } from '../domain/jobs';
import { reconcilePositionOf, type ReconcileCursor } from '../domain/reconcileCursor';
import { AuditEventType, GrantMode, recordDecision, RequestStatus, type AccessRequestRecord } from '../domain/requestLifecycle';
import { attachmentsOf, workloadKeyOf, type WorkloadRecord } from '../domain/workload';
import type { Page, PageRequest, TimeBudget } from '../ports';
import { inClusterAccount } from './accountScope';
import { GrantJournal } from './grantJournal';
import type { ProvisioningDeps } from './provisioningDeps';
import type { ReconcileDeps } from './reconcileDeps';
import { repairDrift } from './repairDrift';

export type { Drift, ReconcileReport } from '../domain/drift';

/** A budget that never runs out: a whole pass in one process (tests, the bench, a manual run). */
export const UNLIMITED: TimeBudget = { remainingMs: () => Number.POSITIVE_INFINITY };

/** Every item of a paged list: the store reads of a pass are cheap next to IAM's, and each is read once per pass. */
async function readAll<Item>(list: (page: PageRequest) => Promise<Page<Item>>): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | undefined;
  do {
    const page = await list({ limit: 100, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** The account's clusters, as config maps them. */
function clustersOf(deps: Pick<ProvisioningDeps, 'config'>, accountId: string) {
  const clusters = deps.config.clusters.filter((cluster) => cluster.accountId === accountId);
  if (clusters.length === 0) throw new ConflictError('ACCOUNT_NOT_CONFIGURED', `no configured cluster is in account ${accountId}`);
  return clusters;
}

/**
 * The broker's roles and policies in the account, read with GetAccountAuthorizationDetails in the
 * account's session (named for the pass): a few calls per account instead of about five per grant.
 */
async function readSnapshot(accountId: string, sessionId: string, deps: ProvisioningDeps): Promise<AccountSnapshot> {
  const [first] = clustersOf(deps, accountId);
  const { session } = await inClusterAccount(deps, first!.name, sessionId);
  return makeAccountSnapshot(accountId, await session.iam.getAuthorizationDetails(), deps.config.rolePath);
}

/** What the role is expected to carry besides this grant's own: every grant of its workload. */
const expectedOf = (workload: WorkloadRecord | undefined) => (workload ? attachmentsOf(workload.grants) : []);
const workloadOf = (record: AccessRequestRecord, workloads: ReadonlyMap<string, WorkloadRecord>) =>
  workloads.get(workloadKeyOf(record.request.cluster, record.request.namespace, record.request.serviceAccount));

/**
 * Differences between a provisioned grant's live IAM objects and its recorded plan, read from one
 * snapshot of its cluster's account (for a single grant: a check after provisioning, a test).
 */
export async function findDrift(record: AccessRequestRecord, deps: ProvisioningDeps): Promise<Drift[]> {
  const snapshot = await readSnapshot(record.plan.cluster.accountId, record.id, deps);
  const workload = await deps.workloads.get(workloadKeyOf(record.request.cluster, record.request.namespace, record.request.serviceAccount));
  return findDriftIn(record.plan, snapshot, expectedOf(workload));
}

/**
 * Checks one grant against the snapshot (no IAM call), records a change of its drift, and repairs it
 * where config says so. Drift is recorded when it appears, changes or clears, not on every pass: the
 * record keeps a fingerprint of the drift expected to remain after the pass (all of it without
 * repairs; with repairs, what cannot be repaired and what the broker does not own), and an unchanged
 * fingerprint writes nothing. A repair skipped for a busy workload or a failure is not in it, so the
 * next pass tries again.
 */
async function reconcileGrant(
  record: AccessRequestRecord,
  snapshot: AccountSnapshot,
  workload: WorkloadRecord | undefined,
  deps: ProvisioningDeps,
): Promise<GrantDriftReport | undefined> {
  const repairing = deps.config.provisioning.repairDrift;
  const drift = findDriftIn(record.plan, snapshot, expectedOf(workload));
  if (driftFingerprint(drift) === record.driftFingerprint) {
    if (drift.length === 0) return undefined;
    return {
      id: record.id,
      drift: drift.map((item) =>
        repairing
          ? { ...item, outcome: RepairOutcome.Skipped, reason: isRepairable(item) ? SkipReason.AlreadyRecorded : SkipReason.NeedsNewGrant }
          : { ...item, outcome: RepairOutcome.Reported },
      ),
    };
  }
  // A repair may change IAM only while the grant is active: a revoke recorded meanwhile stops it before its next change.
  const journal = new GrantJournal(record, deps, { mayChangeIn: [RequestStatus.Active] });
  const expectedToRemain = driftFingerprint(repairing ? drift.filter((item) => !isRepairable(item)) : drift);
  const change =
    drift.length === 0
      ? { type: AuditEventType.DriftCleared, reason: 'no drift' }
      : { type: AuditEventType.DriftDetected, reason: drift.map((item) => `${item.what}: ${item.detail}`).join('; ') };
  await journal.apply((current) => ({
    ...recordDecision(current, { ...change, actor: SYSTEM_IDENTITY, at: journal.now() }),
    driftFingerprint: expectedToRemain,
  }));
  if (drift.length === 0) return undefined;
  if (!repairing) return { id: record.id, drift: drift.map((item) => ({ ...item, outcome: RepairOutcome.Reported })) };
  const reports = await repairDrift(journal.current, drift, journal, deps);
  const remaining = driftFingerprint(reports.filter(isLastingSkip));
  if (remaining !== expectedToRemain) await journal.apply((current) => ({ ...current, driftFingerprint: remaining }));
  return { id: record.id, drift: reports };
}

export interface ReconcileAccountInput {
  accountId: string;
  /** Names this pass's account session (CloudTrail) and its report. */
  passId: string;
  budget: TimeBudget;
}

/**
 * One pass over one account: one snapshot of its IAM, its workloads and active provisioned grants
 * from the store, then each grant from the account's cursor on, in a stable order, until the budget
 * runs out (at least one grant per pass, so a pass always moves on). Where it stopped is stored; the
 * next pass resumes there, and only a pass that reaches the last grant starts the cycle over.
 */
export async function reconcileAccount(input: ReconcileAccountInput, deps: ReconcileDeps): Promise<ReconcileReport> {
  const { accountId, passId, budget } = input;
  const clusters = clustersOf(deps, accountId);
  const snapshot = await readSnapshot(accountId, `reconcile-${passId}`, deps);
  const grants = (
    await Promise.all(
      clusters.map((cluster) => readAll((page) => deps.store.list({ status: RequestStatus.Active, cluster: cluster.name }, page))),
    )
  )
    .flat()
    .filter((record) => record.grant?.mode === GrantMode.Provisioned)
    .map((record) => ({ record, position: reconcilePositionOf(record) }))
    .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0));
  const workloads = new Map(
    (await Promise.all(clusters.map((cluster) => readAll((page) => deps.workloads.list({ cluster: cluster.name }, page)))))
      .flat()
      .map((workload) => [workload.key, workload]),
  );
  const known = new Set([
    ...[...workloads.values()].map((workload) => workload.roleName),
    ...grants.map(({ record }) => record.plan.role.name),
  ]);

  const cursor = await deps.cursors.get(accountId);
  const todo = grants.filter(({ position }) => cursor?.after === undefined || position > cursor.after);
  const report: ReconcileReport = {
    accountId,
    passId,
    checked: 0,
    remaining: 0,
    complete: false,
    drifted: [],
    failures: [],
    orphanRoles: findOrphanRoles(snapshot, known),
  };
  let last: string | undefined;
  for (const { record, position } of todo) {
    if (report.checked > 0 && budget.remainingMs() <= 0) break;
    try {
      const drifted = await reconcileGrant(record, snapshot, workloadOf(record, workloads), deps);
      if (drifted) report.drifted.push(drifted);
    } catch (error) {
      report.failures.push({ id: record.id, message: (error as Error).message });
    }
    report.checked++;
    last = position;
  }
  report.remaining = todo.length - report.checked;
  report.complete = report.remaining === 0;
  await deps.cursors.put({ ...nextCursor(accountId, cursor, report.complete ? undefined : last, deps.clock.now()), passId });
  return report;
}

/** The cursor after a pass: behind the last grant it finished, or cleared (one more cycle done) at the end. */
function nextCursor(accountId: string, previous: ReconcileCursor | undefined, after: string | undefined, now: Date): ReconcileCursor {
  const startedAt = previous?.after === undefined ? now.toISOString() : previous.cycleStartedAt;
  const cycles = previous?.cycles ?? 0;
  if (after === undefined) return { accountId, cycleStartedAt: startedAt, cycles: cycles + 1, updatedAt: now.toISOString() };
  return { accountId, after, cycleStartedAt: startedAt, cycles, updatedAt: now.toISOString() };
}

/** Every account the config maps a cluster to, sorted. */
export function reconciledAccounts(deps: Pick<ProvisioningDeps, 'config'>): string[] {
  return [...new Set(deps.config.clusters.map((cluster) => cluster.accountId))].sort();
}

/** The scheduled dispatcher: one job per account, so that each account is reconciled by its own invocation. */
export async function dispatchReconcile(deps: Pick<ReconcileDeps, 'config' | 'ids' | 'reconcileQueue'>): Promise<ReconcileJob[]> {
  const passId = deps.ids.newId();
  const jobs = reconciledAccounts(deps).map((accountId) => ({ accountId, passId, continuation: 0 }));
  for (const job of jobs) await deps.reconcileQueue.enqueue(job);
  return jobs;
}

/**
 * The consumer of one account's job: a pass within the budget; one that ran out of time hands the
 * rest to a fresh invocation (the cursor says where to resume), up to MAX_RECONCILE_CONTINUATIONS,
 * after which the next scheduled pass resumes from the cursor.
 */
export async function runReconcileJob(
  job: ReconcileJob,
  budget: TimeBudget,
  deps: ReconcileDeps,
): Promise<ReconcileReport & { continued: boolean; superseded?: boolean }> {
  // A cycle longer than the schedule: the next scheduled pass resumes from the cursor, and the older
  // pass's hand-offs stop here rather than run a second chain beside it.
  const cursor = job.continuation > 0 ? await deps.cursors.get(job.accountId) : undefined;
  if (cursor?.passId !== undefined && cursor.passId !== job.passId) {
    return { ...emptyReport(job), continued: false, superseded: true };
  }
  const report = await reconcileAccount({ accountId: job.accountId, passId: job.passId, budget }, deps);
  const continued = !report.complete && job.continuation < MAX_RECONCILE_CONTINUATIONS;
  if (continued) await deps.reconcileQueue.enqueue({ ...job, continuation: job.continuation + 1 });
  return { ...report, continued };
}

const emptyReport = (job: ReconcileJob): ReconcileReport => ({
  accountId: job.accountId,
  passId: job.passId,
  checked: 0,
  remaining: 0,
  complete: false,
  drifted: [],
  failures: [],
  orphanRoles: [],
});

/** A whole pass in one process, account after account (tests, the bench, a manual run): no queue, one budget. */
export async function reconcileGrants(
  deps: ReconcileDeps,
  options: { budget?: TimeBudget; passId?: string } = {},
): Promise<{
  accounts: ReconcileReport[];
  checked: number;
  drifted: GrantDriftReport[];
  failures: { id: string; message: string }[];
  orphanRoles: OrphanRole[];
}> {
  const passId = options.passId ?? deps.ids.newId();
  const accounts: ReconcileReport[] = [];
  const failures: { id: string; message: string }[] = [];
  for (const accountId of reconciledAccounts(deps)) {
    try {
      accounts.push(await reconcileAccount({ accountId, passId, budget: options.budget ?? UNLIMITED }, deps));
    } catch (error) {
      failures.push({ id: `account:${accountId}`, message: (error as Error).message });
    }
  }
  return {
    accounts,
    checked: accounts.reduce((sum, account) => sum + account.checked, 0),
    drifted: accounts.flatMap((account) => account.drifted),
    failures: [...failures, ...accounts.flatMap((account) => account.failures)],
    orphanRoles: accounts.flatMap((account) => account.orphanRoles),
  };
}
