import * as z from 'zod';
import { ConflictError, IamLimitExceededError } from './errors';
import type { GrantPlan } from './grantPlan';
import { PolicyStatementSchema } from './policyDocument';

/**
 * A workload is (cluster, namespace, ServiceAccount). In IRSA a ServiceAccount maps to exactly one
 * role, so the role, its trust and the ServiceAccount binding belong to the workload; each approved
 * request is a grant on it.
 *
 * How grants map to IAM objects: one customer-managed policy per grant (its S3 statements), plus the
 * grant's allow-listed managed policies, attached to the workload's one role. Adding a grant creates
 * and attaches a new policy and never rewrites another grant's; removing one detaches and deletes its
 * own. So no other grant's permission is ever absent, at any instant, and each grant keeps IAM's full
 * 6,144 characters. The alternative — one policy per workload, a new version per change — would put
 * every grant under one 6,144-character budget and IAM's five versions, and a failed or racing
 * version switch would take permissions from every grant at once. The price is the role's quota of
 * attached managed policies (10 by default, raisable to 20: `iamQuotas.managedPoliciesPerRole`), which
 * the pre-flight counts for the whole workload at submit.
 */

/** The workload's key as the store and the API name it. */
export function workloadKeyOf(cluster: string, namespace: string, serviceAccount: string): string {
  return `${cluster}/${namespace}/${serviceAccount}`;
}

/** Where a grant on the workload stands; `failed` grants may still hold attachments until revoked. */
export const WorkloadGrantStatus = { Provisioning: 'provisioning', Active: 'active', Failed: 'failed' } as const;
export type WorkloadGrantStatus = (typeof WorkloadGrantStatus)[keyof typeof WorkloadGrantStatus];

/** One grant as the workload sees it: what it attaches to the role. */
export const WorkloadGrantSchema = z
  .object({
    requestId: z.string(),
    status: z.enum([WorkloadGrantStatus.Provisioning, WorkloadGrantStatus.Active, WorkloadGrantStatus.Failed]),
    /** The grant's own customer-managed policy; absent when it holds only managed policies. */
    policyArn: z.string().optional(),
    managedPolicyArns: z.array(z.string()),
  })
  .meta({ id: 'WorkloadGrant' });
export type WorkloadGrant = z.infer<typeof WorkloadGrantSchema>;

/** How the ServiceAccount carries the role: set once the broker applied it, and whether it made it or took it over. */
export const WorkloadBindingSchema = z.object({
  ownership: z.enum(['created', 'adopted']),
  /** The grant whose apply put the annotation there: the id the ServiceAccount must carry to be the broker's. */
  appliedBy: z.string(),
  /** For an adopted account: the labels and annotations the broker overwrote, as they were (null: absent). */
  before: z
    .object({ labels: z.record(z.string(), z.string().nullable()), annotations: z.record(z.string(), z.string().nullable()) })
    .optional(),
});
export type WorkloadBinding = z.infer<typeof WorkloadBindingSchema>;

/** The workload item: its role, trust, binding and grants; `version` serializes every change to its role. */
export const WorkloadRecordSchema = z
  .object({
    key: z.string(),
    version: z.number().int().min(1),
    cluster: z.string(),
    namespace: z.string(),
    serviceAccount: z.string(),
    accountId: z.string(),
    roleName: z.string(),
    roleArn: z.string(),
    /** The trust policy's `sub` (a pattern when one was asked for): every grant must share it. */
    subject: z.string(),
    binding: WorkloadBindingSchema.optional(),
    grants: z.array(WorkloadGrantSchema),
    /** Who is changing the role right now, until when; a lease past its deadline may be taken over. */
    lease: z.object({ holder: z.string(), until: z.string() }).optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'WorkloadRecord' });
export type WorkloadRecord = z.infer<typeof WorkloadRecordSchema>;

/** What one grant attaches, from its plan. */
export function workloadGrantOf(requestId: string, plan: GrantPlan, status: WorkloadGrantStatus): WorkloadGrant {
  const grant: WorkloadGrant = { requestId, status, managedPolicyArns: [...plan.managedPolicyArns] };
  if (plan.permissionPolicy) grant.policyArn = plan.permissionPolicy.arn;
  return grant;
}

/** The policies the role carries for these grants: each grant's own, then the union of managed ones. */
export function attachmentsOf(grants: readonly Pick<WorkloadGrant, 'policyArn' | 'managedPolicyArns'>[]): string[] {
  const own = grants.flatMap((grant) => (grant.policyArn ? [grant.policyArn] : []));
  const managed = [...new Set(grants.flatMap((grant) => grant.managedPolicyArns))].sort();
  return [...own, ...managed];
}

/** A new workload item for the first grant's plan. */
export function newWorkload(plan: GrantPlan, namespace: string, serviceAccount: string, now: Date): WorkloadRecord {
  return {
    key: workloadKeyOf(plan.cluster.name, namespace, serviceAccount),
    version: 1,
    cluster: plan.cluster.name,
    namespace,
    serviceAccount,
    accountId: plan.cluster.accountId,
    roleName: plan.role.name,
    roleArn: plan.role.arn,
    subject: plan.subject,
    grants: [],
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

/** Grants that hold (or may hold) attachments on the role: every one but those being removed. */
export function otherGrants(workload: Pick<WorkloadRecord, 'grants'>, requestId: string): WorkloadGrant[] {
  return workload.grants.filter((grant) => grant.requestId !== requestId);
}

/** Adds or updates one grant's entry. */
export function withGrant(workload: WorkloadRecord, grant: WorkloadGrant): WorkloadRecord {
  return { ...workload, grants: [...otherGrants(workload, grant.requestId), grant] };
}

/**
 * What removing one grant takes off the role: its own policy, and the managed policies no staying
 * grant still needs.
 */
export function attachmentsToRemove(
  staying: readonly Pick<WorkloadGrant, 'policyArn' | 'managedPolicyArns'>[],
  leaving: Pick<WorkloadGrant, 'policyArn' | 'managedPolicyArns'>,
): string[] {
  const kept = new Set(attachmentsOf(staying));
  return attachmentsOf([leaving]).filter((arn) => !kept.has(arn));
}

/**
 * A request whose trust differs from the workload's cannot share its role: one role has one trust
 * policy, and changing it would cut off (or widen) every other grant's pods.
 */
export function assertSameTrust(workloadSubject: string, plan: Pick<GrantPlan, 'subject'>, key: string): void {
  if (workloadSubject === plan.subject) return;
  throw new ConflictError(
    'WORKLOAD_TRUST_MISMATCH',
    `workload ${key} trusts "${workloadSubject}", but this request asks for "${plan.subject}"; a workload has one trust policy — ask with the same ${workloadSubject.includes('*') || workloadSubject.includes('?') ? 'serviceAccountPattern' : 'ServiceAccount and no pattern'}, or revoke the workload's grants first`,
    { details: { workload: key, workloadSubject, requestedSubject: plan.subject } },
  );
}

/** The role's attachment count for a set of grants, checked against the quota (422 naming both numbers). */
export function assertAttachmentQuota(grants: readonly Pick<WorkloadGrant, 'policyArn' | 'managedPolicyArns'>[], quota: number): number {
  const count = attachmentsOf(grants).length;
  if (count > quota) {
    throw new IamLimitExceededError('ROLE_ATTACHED_POLICIES_LIMIT', "managed policies attached to the workload's role", quota, count);
  }
  return count;
}

/** The statements of the workload's effective permissions, for views. */
export const EffectivePermissionsSchema = z
  .object({
    statements: z.array(PolicyStatementSchema),
    managedPolicyArns: z.array(z.string()),
  })
  .meta({ id: 'EffectivePermissions' });
export type EffectivePermissions = z.infer<typeof EffectivePermissionsSchema>;
