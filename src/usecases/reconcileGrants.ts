import { createHash } from 'node:crypto';
import { SYSTEM_IDENTITY } from '../domain/identity';
import { sameDocument } from '../domain/ownership';
import { AuditEventType, GrantMode, recordDecision, RequestStatus, type AccessRequestRecord } from '../domain/requestLifecycle';
import { attachmentsOf, workloadKeyOf } from '../domain/workload';
import { inClusterAccount } from './accountScope';
import { GrantJournal } from './grantJournal';
import { setDefaultPolicyDocument, wantedAttachments } from './provisionGrant';
import type { ProvisioningDeps } from './provisioningDeps';

export interface Drift {
  what:
    | 'role-missing'
    | 'trust-policy'
    | 'permissions-boundary'
    | 'policy-missing'
    | 'policy-document'
    | 'attachment-missing'
    | 'attachment-extra';
  detail: string;
}

/** Differences between a provisioned grant's live IAM objects and its recorded plan. Reads only. */
export async function findDrift(record: AccessRequestRecord, deps: ProvisioningDeps): Promise<Drift[]> {
  const { plan } = record;
  const drift: Drift[] = [];
  const role = await deps.iam.findRole(plan.role.name);
  if (!role) return [{ what: 'role-missing', detail: plan.role.arn }];
  if (!sameDocument(role.trustPolicy, plan.role.trustPolicy)) drift.push({ what: 'trust-policy', detail: plan.role.arn });
  if (role.permissionsBoundaryArn !== plan.role.permissionsBoundaryArn)
    drift.push({ what: 'permissions-boundary', detail: String(role.permissionsBoundaryArn) });
  if (plan.permissionPolicy) {
    const policy = await deps.iam.findPolicy(plan.permissionPolicy.arn);
    if (!policy) drift.push({ what: 'policy-missing', detail: plan.permissionPolicy.arn });
    else if (!sameDocument(policy.defaultDocument, plan.permissionPolicy.document))
      drift.push({ what: 'policy-document', detail: plan.permissionPolicy.arn });
  }
  const attached = await deps.iam.listAttachedPolicyArns(plan.role.name);
  const wanted = wantedAttachments(plan);
  // The role is the workload's: what its other grants attached is not extra.
  const { cluster, namespace, serviceAccount } = record.request;
  const workload = await deps.workloads.get(workloadKeyOf(cluster, namespace, serviceAccount));
  const expected = new Set([...wanted, ...(workload ? attachmentsOf(workload.grants) : [])]);
  wanted.filter((arn) => !attached.includes(arn)).forEach((arn) => drift.push({ what: 'attachment-missing', detail: arn }));
  attached.filter((arn) => !expected.has(arn)).forEach((arn) => drift.push({ what: 'attachment-extra', detail: arn }));
  return drift;
}

/** Drift that repair leaves alone: a missing role or policy needs a new grant, and a person. */
const isRepairable = (item: Drift): boolean => item.what !== 'role-missing' && item.what !== 'policy-missing';

/** Names a set of drift, whatever order it was found in; undefined for none. */
function driftFingerprint(drift: readonly Drift[]): string | undefined {
  if (drift.length === 0) return undefined;
  const canonical = drift.map((item) => `${item.what}\t${item.detail}`).sort();
  return createHash('sha256').update(canonical.join('\n')).digest('hex').slice(0, 32);
}

/** Puts one drifted grant back to its plan; only objects the broker owns are touched, each change written ahead. */
async function repair(record: AccessRequestRecord, drift: Drift[], journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  const { plan } = record;
  const { role } = plan;
  for (const item of drift) {
    const reason = `${item.what} repaired: ${item.detail}`;
    const repaired = { type: AuditEventType.DriftRepaired };
    if (item.what === 'trust-policy')
      await journal.perform(
        { action: 'UpdateAssumeRolePolicy', target: role.arn, reason },
        () => deps.iam.updateTrustPolicy(role.name, role.trustPolicy),
        repaired,
      );
    else if (item.what === 'permissions-boundary')
      await journal.perform(
        { action: 'PutRolePermissionsBoundary', target: role.arn, reason },
        () => deps.iam.putPermissionsBoundary(role.name, role.permissionsBoundaryArn),
        repaired,
      );
    else if (item.what === 'policy-document' && plan.permissionPolicy) {
      const live = await deps.iam.findPolicy(plan.permissionPolicy.arn);
      if (live) await setDefaultPolicyDocument(live, plan.permissionPolicy.document, journal, deps);
      if (live) await journal.change(reason, {}, AuditEventType.DriftRepaired);
    } else if (item.what === 'attachment-missing')
      await journal.perform(
        { action: 'AttachRolePolicy', target: role.arn, argument: item.detail, reason },
        () => deps.iam.attachPolicy(role.name, item.detail),
        repaired,
      );
    else if (item.what === 'attachment-extra')
      await journal.perform(
        { action: 'DetachRolePolicy', target: role.arn, argument: item.detail, reason },
        () => deps.iam.detachPolicy(role.name, item.detail),
        repaired,
      );
    // A missing role or policy is not recreated here: that is a new grant, and needs a person.
  }
}

export interface ReconcileReport {
  checked: number;
  drifted: { id: string; drift: Drift[]; repaired: boolean }[];
  failures: { id: string; message: string }[];
}

/**
 * The scheduled reconciler: compares every provisioned active grant with its plan, records drift as
 * audit events, and repairs it where config says so. Drift is recorded when it appears, changes or
 * clears, not on every pass: the record keeps a fingerprint of the drift it expects to remain after
 * the pass (all of it, or what repair cannot fix), and an unchanged fingerprint writes nothing.
 */
export async function reconcileGrants(deps: ProvisioningDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, drifted: [], failures: [] };
  const repairing = deps.config.provisioning.repairDrift;
  let cursor: string | undefined;
  do {
    const page = await deps.store.list({ status: RequestStatus.Active }, { limit: 100, cursor });
    for (const record of page.items.filter((item) => item.grant?.mode === GrantMode.Provisioned)) {
      report.checked++;
      try {
        // Read and repair in the cluster's own account, as the grant's session.
        const inAccount = (await inClusterAccount(deps, record.plan.cluster.name, record.id)).deps;
        const drift = await findDrift(record, inAccount);
        const found = driftFingerprint(drift);
        if (found === record.driftFingerprint) {
          if (drift.length > 0) report.drifted.push({ id: record.id, drift, repaired: false });
          continue;
        }
        // A repair may change IAM only while the grant is active: a revoke recorded meanwhile stops it.
        const journal = new GrantJournal(record, deps, { mayChangeIn: [RequestStatus.Active] });
        const remaining = driftFingerprint(repairing ? drift.filter((item) => !isRepairable(item)) : drift);
        const change =
          drift.length === 0
            ? { type: AuditEventType.DriftCleared, reason: 'no drift' }
            : {
                type: AuditEventType.DriftDetected,
                reason: drift.map((item) => `${item.what}: ${item.detail}`).join('; '),
              };
        await journal.apply((current) => ({
          ...recordDecision(current, { ...change, actor: SYSTEM_IDENTITY, at: journal.now() }),
          driftFingerprint: remaining,
        }));
        if (drift.length === 0) continue;
        if (repairing) await repair(record, drift, journal, inAccount);
        report.drifted.push({ id: record.id, drift, repaired: repairing });
      } catch (error) {
        report.failures.push({ id: record.id, message: (error as Error).message });
      }
    }
    cursor = page.nextCursor;
  } while (cursor);
  return report;
}
