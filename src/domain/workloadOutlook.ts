import * as z from 'zod';
import type { GrantPlan } from './grantPlan';
import {
  assertAttachmentQuota,
  assertSameTrust,
  attachmentsOf,
  WorkloadGrantSchema,
  workloadGrantOf,
  WorkloadGrantStatus,
  type WorkloadGrant,
} from './workload';

const CountSchema = z.object({ used: z.number().int(), limit: z.number().int() });

/** What a request meets on its workload: what exists, what it adds, and the sizes that result. */
export const WorkloadOutlookSchema = z
  .object({
    key: z.string(),
    exists: z.boolean().meta({ description: 'Whether the workload already has a role with grants on it.' }),
    roleArn: z.string(),
    subject: z.string(),
    grants: z
      .array(WorkloadGrantSchema)
      .meta({ description: 'Grants on the workload now (active, provisioning, or failed and not yet revoked).' }),
    openRequests: z.array(z.string()).meta({ description: 'Requests for this workload still waiting for a decision or for provisioning.' }),
    adds: z.object({ policyArn: z.string().optional(), managedPolicyArns: z.array(z.string()) }),
    usage: z.object({
      attachedPolicies: CountSchema.extend({
        current: z.number().int().meta({ description: 'Attached for the grants on the workload now.' }),
      }).meta({ description: 'Managed policies on the role once this request and every open one are granted.' }),
    }),
  })
  .meta({ id: 'WorkloadOutlook' });
export type WorkloadOutlook = z.infer<typeof WorkloadOutlookSchema>;

export interface WorkloadState {
  key: string;
  /** The workload item's trust subject, when the workload exists. */
  subject?: string;
  grants: WorkloadGrant[];
  /** Requests for the workload not on it yet, with their plans. */
  open: { id: string; plan: GrantPlan }[];
}

/**
 * Plans a request against its whole workload, so pre-flight sees the real counts: the grants on it,
 * every request still open for it (so that approving them all can never exceed a quota), and this one.
 * Refuses, before anyone approves: a trust that differs from the workload's (409) and more attached
 * policies than the role's quota allows (422 naming the limit and both numbers).
 */
export function makeWorkloadOutlook(state: WorkloadState, plan: GrantPlan, requestId: string | undefined, quota: number): WorkloadOutlook {
  const subject = state.subject ?? state.open[0]?.plan.subject;
  if (subject !== undefined) assertSameTrust(subject, plan, state.key);
  for (const open of state.open) assertSameTrust(open.plan.subject, plan, state.key);
  const onWorkload = state.grants.filter((grant) => grant.requestId !== requestId);
  const open = state.open
    .filter((entry) => entry.id !== requestId && !onWorkload.some((grant) => grant.requestId === entry.id))
    .map((entry) => workloadGrantOf(entry.id, entry.plan, WorkloadGrantStatus.Provisioning));
  const adding = workloadGrantOf(requestId ?? 'this-request', plan, WorkloadGrantStatus.Provisioning);
  const before = new Set(attachmentsOf([...onWorkload, ...open]));
  const used = assertAttachmentQuota([...onWorkload, ...open, adding], quota);
  return {
    key: state.key,
    exists: state.subject !== undefined,
    roleArn: plan.role.arn,
    subject: plan.subject,
    grants: onWorkload,
    openRequests: open.map((grant) => grant.requestId),
    adds: {
      ...(adding.policyArn ? { policyArn: adding.policyArn } : {}),
      managedPolicyArns: adding.managedPolicyArns.filter((arn) => !before.has(arn)),
    },
    usage: { attachedPolicies: { current: attachmentsOf(onWorkload).length, used, limit: quota } },
  };
}
