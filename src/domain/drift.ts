import { createHash } from 'node:crypto';
import * as z from 'zod';
import { OrphanRoleSchema, type AccountSnapshot } from './accountSnapshot';
import type { GrantPlan } from './grantPlan';
import { sameDocument } from './ownership';
import { attachmentsOf } from './workload';

/** How a provisioned grant's live IAM objects can differ from its recorded plan. */
export const DriftKind = {
  RoleMissing: 'role-missing',
  TrustPolicy: 'trust-policy',
  PermissionsBoundary: 'permissions-boundary',
  PolicyMissing: 'policy-missing',
  PolicyDocument: 'policy-document',
  AttachmentMissing: 'attachment-missing',
  AttachmentExtra: 'attachment-extra',
} as const;
export type DriftKind = (typeof DriftKind)[keyof typeof DriftKind];

export const DriftSchema = z.object({ what: z.enum(Object.values(DriftKind) as [DriftKind, ...DriftKind[]]), detail: z.string() });
export type Drift = z.infer<typeof DriftSchema>;

/** What a pass did about one drift item. */
export const RepairOutcome = { Repaired: 'repaired', Skipped: 'skipped', Reported: 'reported' } as const;
export type RepairOutcome = (typeof RepairOutcome)[keyof typeof RepairOutcome];

/** Why a repair was not made. */
export const SkipReason = {
  /** A missing role or policy needs a new grant, and a person. */
  NeedsNewGrant: 'needs-new-grant',
  /** The live object lacks the broker's tags for this workload (role) or grant (policy). */
  NotOwned: 'not-owned',
  /** Read again right before the change, the object was already as the plan says. */
  NoLongerDrifted: 'no-longer-drifted',
  /** Another change of the workload's role held its lease: tried again next pass. */
  WorkloadBusy: 'workload-busy',
  /** The workload record is gone, so what the role may carry is unknown. */
  NoWorkload: 'no-workload-record',
  /** The same drift was recorded by an earlier pass and nothing repairable is in it. */
  AlreadyRecorded: 'already-recorded',
  /** The repair call failed; the message says why. */
  Failed: 'failed',
} as const;
export type SkipReason = (typeof SkipReason)[keyof typeof SkipReason];

/** One drift item of a grant and what the pass did about it. */
export const DriftItemReportSchema = DriftSchema.extend({
  outcome: z.enum([RepairOutcome.Repaired, RepairOutcome.Skipped, RepairOutcome.Reported]),
  reason: z.enum(Object.values(SkipReason) as [SkipReason, ...SkipReason[]]).optional(),
  message: z.string().optional(),
});
export type DriftItemReport = z.infer<typeof DriftItemReportSchema>;

/** Drift repair leaves alone: a missing role or policy needs a new grant, and a person. */
export const isRepairable = (item: Drift): boolean => item.what !== DriftKind.RoleMissing && item.what !== DriftKind.PolicyMissing;

/** Skips a later pass would not undo: the same drift then stays recorded instead of being audited again. */
export const isLastingSkip = (item: DriftItemReport): boolean =>
  item.outcome === RepairOutcome.Skipped && (item.reason === SkipReason.NeedsNewGrant || item.reason === SkipReason.NotOwned);

/** Names a set of drift, whatever order it was found in; undefined for none. */
export function driftFingerprint(drift: readonly Drift[]): string | undefined {
  if (drift.length === 0) return undefined;
  const canonical = drift.map((item) => `${item.what}\t${item.detail}`).sort();
  return createHash('sha256').update(canonical.join('\n')).digest('hex').slice(0, 32);
}

/**
 * Differences between a provisioned grant's plan and the account as the snapshot shows it. No I/O:
 * `expectedAttachments` are what every grant of the workload attaches (another grant's policy on
 * the shared role is not extra).
 */
export function findDriftIn(
  plan: Pick<GrantPlan, 'role' | 'permissionPolicy' | 'managedPolicyArns'>,
  snapshot: AccountSnapshot,
  expectedAttachments: readonly string[],
): Drift[] {
  const role = snapshot.roles.get(plan.role.name);
  if (!role) return [{ what: DriftKind.RoleMissing, detail: plan.role.arn }];
  const drift: Drift[] = [];
  if (!sameDocument(role.trustPolicy, plan.role.trustPolicy)) drift.push({ what: DriftKind.TrustPolicy, detail: plan.role.arn });
  if (role.permissionsBoundaryArn !== plan.role.permissionsBoundaryArn)
    drift.push({ what: DriftKind.PermissionsBoundary, detail: String(role.permissionsBoundaryArn) });
  if (plan.permissionPolicy) {
    const policy = snapshot.policies.get(plan.permissionPolicy.arn);
    if (!policy) drift.push({ what: DriftKind.PolicyMissing, detail: plan.permissionPolicy.arn });
    else if (!sameDocument(policy.defaultDocument, plan.permissionPolicy.document))
      drift.push({ what: DriftKind.PolicyDocument, detail: plan.permissionPolicy.arn });
  }
  const wanted = attachmentsOf([{ policyArn: plan.permissionPolicy?.arn, managedPolicyArns: plan.managedPolicyArns }]);
  const expected = new Set([...wanted, ...expectedAttachments]);
  wanted
    .filter((arn) => !role.attachedPolicyArns.includes(arn))
    .forEach((arn) => drift.push({ what: DriftKind.AttachmentMissing, detail: arn }));
  role.attachedPolicyArns
    .filter((arn) => !expected.has(arn))
    .forEach((arn) => drift.push({ what: DriftKind.AttachmentExtra, detail: arn }));
  return drift;
}

/** One grant that showed drift in a pass, and what was done about each item. */
export const GrantDriftReportSchema = z.object({ id: z.string(), drift: z.array(DriftItemReportSchema) });
export type GrantDriftReport = z.infer<typeof GrantDriftReportSchema>;

/** What one pass over one account found and did; logged by the consumer as its report. */
export const ReconcileReportSchema = z.object({
  accountId: z.string(),
  passId: z.string(),
  /** Grants this pass checked. */
  checked: z.number().int(),
  /** Grants of the account's cycle left for the next pass; 0 when this pass finished the cycle. */
  remaining: z.number().int(),
  /** This pass reached the last grant: the next one starts the cycle over. */
  complete: z.boolean(),
  /** Grants with drift, each item marked repaired, skipped (and why) or reported. */
  drifted: z.array(GrantDriftReportSchema),
  failures: z.array(z.object({ id: z.string(), message: z.string() })),
  /** Broker-tagged roles under the path that no workload or active grant names; reported, never deleted. */
  orphanRoles: z.array(OrphanRoleSchema),
});
export type ReconcileReport = z.infer<typeof ReconcileReportSchema>;
