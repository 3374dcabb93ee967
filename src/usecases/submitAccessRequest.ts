import { AccessRequestSchema } from '../domain/accessRequest';
import { assertMayRequest, effectiveDurationHours, findApprovalRule, findAutoApproval } from '../domain/approvalRules';
import { findCluster } from '../domain/brokerConfig';
import { autoApprove } from '../domain/decisions';
import { NotFoundError } from '../domain/errors';
import type { CallerIdentity } from '../domain/identity';
import { parseInput } from '../domain/parseInput';
import { RequestStatus, submittedEvent, type AccessRequestRecord } from '../domain/requestLifecycle';
import { makeWorkloadOutlook } from '../domain/workloadOutlook';
import type { AccessRequestDeps } from './accessRequestDeps';
import { planRequest } from './planGrant';
import { readWorkloadState } from './workloadState';
import { afterApproval, startProvisioningIfApproved } from './decideAccessRequest';

const HOUR_MS = 3_600_000;

/**
 * Files an access request: validates it, checks the caller may ask in that namespace, plans the
 * grant (so a request that cannot be provisioned is refused now, not after approval) and stores it
 * pending — or approved and active at once when an auto-approval condition covers it.
 */
export async function submitAccessRequest(body: unknown, caller: CallerIdentity, deps: AccessRequestDeps): Promise<AccessRequestRecord> {
  const request = parseInput(AccessRequestSchema, body, 'access request');
  const cluster = findCluster(deps.config, request.cluster);
  if (!cluster) throw new NotFoundError('CLUSTER_NOT_FOUND', `cluster "${request.cluster}" is not configured in this broker`);
  const rule = findApprovalRule(deps.config.approvalRules, request.cluster, request.namespace);
  assertMayRequest(rule, caller, request.namespace);
  const durationHours = effectiveDurationHours(rule, request);

  const id = deps.ids.newId();
  const now = deps.clock.now();
  const plan = await planRequest(request, cluster, deps, id);
  // The whole workload is counted now, so that no approval can lead to a grant IAM would refuse.
  makeWorkloadOutlook(await readWorkloadState(request, deps), plan, id, deps.config.managedPoliciesPerRole);
  let record: AccessRequestRecord = {
    id,
    version: 1,
    status: RequestStatus.Pending,
    request,
    requester: caller,
    ruleId: rule.id,
    durationHours,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    pendingUntil: new Date(now.getTime() + rule.pendingTimeoutHours * HOUR_MS).toISOString(),
    approvals: [],
    plan,
    events: [submittedEvent(caller, now)],
  };
  const autoApproval = findAutoApproval(rule, request, durationHours);
  if (autoApproval !== undefined) record = afterApproval(autoApprove(record, rule, autoApproval, now), now, deps);
  await deps.store.create(record);
  await startProvisioningIfApproved(record, deps);
  return record;
}
