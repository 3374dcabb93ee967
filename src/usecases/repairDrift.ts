import { BrokerError } from '../domain/errors';
import { DriftKind, RepairOutcome, SkipReason, type Drift, type DriftItemReport } from '../domain/drift';
import { isOwnedByRequest, isOwnedByWorkload, sameDocument } from '../domain/ownership';
import { AuditEventType, type AccessRequestRecord, type ChangeIntent } from '../domain/requestLifecycle';
import { attachmentsOf, workloadKeyOf } from '../domain/workload';
import { inClusterAccount } from './accountScope';
import type { GrantJournal } from './grantJournal';
import { wantedAttachments } from './provisionGrant';
import { recreatePolicy } from './recreatePolicy';
import type { ProvisioningDeps } from './provisioningDeps';
import { WorkloadLease } from './workloadLease';

/** How long a repair waits for another change of the workload's role before it skips the role this pass. */
const LEASE_WAIT_MS = 2_000;
/** Drift whose repair changes the workload's role (a policy is recreated by detaching it first). */
const ROLE_DRIFT: ReadonlySet<Drift['what']> = new Set([
  DriftKind.PolicyDocument,
  DriftKind.TrustPolicy,
  DriftKind.PermissionsBoundary,
  DriftKind.AttachmentMissing,
  DriftKind.AttachmentExtra,
]);

const repaired = (item: Drift): DriftItemReport => ({ ...item, outcome: RepairOutcome.Repaired });
const skipped = (item: Drift, reason: SkipReason, message?: string): DriftItemReport => ({
  ...item,
  outcome: RepairOutcome.Skipped,
  reason,
  ...(message ? { message } : {}),
});
const isBusy = (error: unknown) => error instanceof BrokerError && (error.code === 'WORKLOAD_BUSY' || error.code === 'CONCURRENT_UPDATE');

/** Records a repair made of several written-ahead changes (a new policy version) as the drift's repair. */
const audit = (journal: GrantJournal, item: Drift) =>
  journal.change(`${item.what} repaired: ${item.detail}`, {}, AuditEventType.DriftRepaired);

/** One role change, read against the role as it is now. */
async function repairRoleItem(
  record: AccessRequestRecord,
  item: Drift,
  live: { trustPolicy: unknown; permissionsBoundaryArn?: string; attached: () => Promise<string[]>; expected: ReadonlySet<string> },
  journal: GrantJournal,
  deps: ProvisioningDeps,
): Promise<DriftItemReport> {
  const { role } = record.plan;
  // Written ahead like every change: intended, made, confirmed as the drift's repair.
  const perform = (intent: Omit<ChangeIntent, 'at' | 'reason' | 'target'>, call: () => Promise<void>) =>
    journal.perform({ ...intent, target: role.arn, reason: `${item.what} repaired: ${item.detail}` }, call, {
      type: AuditEventType.DriftRepaired,
    });
  if (item.what === DriftKind.PolicyDocument) {
    // The policy is the grant's own: read again right before the change, recreated only while it
    // carries this grant's tags and still differs.
    const planned = record.plan.permissionPolicy;
    const policy = planned && (await deps.iam.findPolicy(planned.arn));
    if (!planned || !policy) return skipped(item, SkipReason.NeedsNewGrant, 'the policy is gone');
    if (!isOwnedByRequest(policy.tags, record.id))
      return skipped(item, SkipReason.NotOwned, `policy ${planned.arn} lacks this grant's tags`);
    if (sameDocument(policy.defaultDocument, planned.document)) return skipped(item, SkipReason.NoLongerDrifted);
    const { wasAttached } = await recreatePolicy(record.plan, policy, `${item.what} repaired`, journal, deps);
    if (wasAttached)
      await perform({ action: 'AttachRolePolicy', argument: planned.arn }, () => deps.iam.attachPolicy(role.name, planned.arn));
    else await audit(journal, item);
    return repaired(item);
  }
  if (item.what === DriftKind.TrustPolicy) {
    if (sameDocument(live.trustPolicy, role.trustPolicy)) return skipped(item, SkipReason.NoLongerDrifted);
    await perform({ action: 'UpdateAssumeRolePolicy' }, () => deps.iam.updateTrustPolicy(role.name, role.trustPolicy));
  } else if (item.what === DriftKind.PermissionsBoundary) {
    if (live.permissionsBoundaryArn === role.permissionsBoundaryArn) return skipped(item, SkipReason.NoLongerDrifted);
    await perform({ action: 'PutRolePermissionsBoundary' }, () => deps.iam.putPermissionsBoundary(role.name, role.permissionsBoundaryArn));
  } else if (item.what === DriftKind.AttachmentMissing) {
    if ((await live.attached()).includes(item.detail)) return skipped(item, SkipReason.NoLongerDrifted);
    await perform({ action: 'AttachRolePolicy', argument: item.detail }, () => deps.iam.attachPolicy(role.name, item.detail));
  } else {
    // Another grant may have attached this since the snapshot: the workload read under the lease says.
    if (live.expected.has(item.detail) || !(await live.attached()).includes(item.detail)) return skipped(item, SkipReason.NoLongerDrifted);
    await perform({ action: 'DetachRolePolicy', argument: item.detail }, () => deps.iam.detachPolicy(role.name, item.detail));
  }
  return repaired(item);
}

/**
 * Changes of the workload's role happen under its lease, as every other change of the role does, so
 * a repair never detaches what a grant being added just attached, nor touches a role being removed.
 * A busy workload is skipped this pass. The role is read again under the lease and must carry the
 * broker's tags for this workload.
 */
async function repairRole(
  record: AccessRequestRecord,
  items: Drift[],
  journal: GrantJournal,
  deps: ProvisioningDeps,
): Promise<DriftItemReport[]> {
  const { cluster, namespace, serviceAccount } = record.request;
  let lease: WorkloadLease | undefined;
  try {
    lease = await WorkloadLease.acquire(workloadKeyOf(cluster, namespace, serviceAccount), `reconcile:${record.id}`, deps, {
      waitMs: LEASE_WAIT_MS,
    });
  } catch (error) {
    if (isBusy(error)) return items.map((item) => skipped(item, SkipReason.WorkloadBusy, (error as Error).message));
    throw error;
  }
  if (!lease) return items.map((item) => skipped(item, SkipReason.NoWorkload));
  try {
    const role = await deps.iam.findRole(record.plan.role.name);
    if (!role) return items.map((item) => skipped(item, SkipReason.NeedsNewGrant, 'the role is gone'));
    if (!isOwnedByWorkload(role.tags, { cluster, namespace, serviceAccount }))
      return items.map((item) => skipped(item, SkipReason.NotOwned, `role ${record.plan.role.name} lacks this workload's tags`));
    let attached: Promise<string[]> | undefined;
    const live = {
      trustPolicy: role.trustPolicy,
      ...(role.permissionsBoundaryArn ? { permissionsBoundaryArn: role.permissionsBoundaryArn } : {}),
      attached: () => (attached ??= deps.iam.listAttachedPolicyArns(record.plan.role.name)),
      expected: new Set([...wantedAttachments(record.plan), ...attachmentsOf(lease.current.grants)]),
    };
    const reports: DriftItemReport[] = [];
    for (const item of items) {
      try {
        reports.push(await repairRoleItem(record, item, live, journal, deps));
      } catch (error) {
        reports.push(skipped(item, SkipReason.Failed, (error as Error).message));
      }
    }
    return reports;
  } finally {
    // A lease that cannot be let go of (taken over meanwhile) runs out on its own after WORKLOAD_LEASE_MS.
    await lease.release().catch(() => undefined);
  }
}

/**
 * Puts one drifted grant back to its plan where the broker owns what it would change, and says for
 * each drift item whether it was repaired or why not. Calls go through the cluster's account, in a
 * session named for the grant, so the account's CloudTrail shows which grant a repair was for.
 */
export async function repairDrift(
  record: AccessRequestRecord,
  drift: readonly Drift[],
  journal: GrantJournal,
  deps: ProvisioningDeps,
): Promise<DriftItemReport[]> {
  const inAccount = (await inClusterAccount(deps, record.plan.cluster.name, record.id)).deps;
  const reports = new Map<Drift, DriftItemReport>();
  const roleItems = drift.filter((item) => ROLE_DRIFT.has(item.what));
  // A missing role or policy is not recreated by a repair: that is a new grant, and needs a person.
  for (const item of drift.filter((entry) => !ROLE_DRIFT.has(entry.what))) reports.set(item, skipped(item, SkipReason.NeedsNewGrant));
  if (roleItems.length > 0) {
    const roleReports = await repairRole(record, roleItems, journal, inAccount);
    roleItems.forEach((item, index) => reports.set(item, roleReports[index]!));
  }
  return drift.map((item) => reports.get(item)!);
}
