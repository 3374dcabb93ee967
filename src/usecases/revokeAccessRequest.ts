import { findApprovalRule } from '../domain/approvalRules';
import { assertCanBecome, assertMayManageGrant } from '../domain/decisions';
import type { CallerIdentity } from '../domain/identity';
import { RequestStatus, type AccessRequestRecord } from '../domain/requestLifecycle';
import { loadAccessRequest } from './changeAccessRequest';
import type { ProvisioningDeps } from './provisioningDeps';
import { removeGrant } from './removeGrant';

/**
 * Ends a grant: records the revoke first (from then on nothing can be created for it), then removes
 * the IAM and Kubernetes objects the broker created for it (none for plan-only grants). The answer
 * is `revoked`, or `revoking` when the workload is busy and the sweep will finish.
 */
export async function revokeAccessRequest(
  id: string,
  caller: CallerIdentity,
  comment: string | undefined,
  deps: ProvisioningDeps,
): Promise<AccessRequestRecord> {
  const record = await loadAccessRequest(id, deps);
  assertMayManageGrant(record, findApprovalRule(deps.config.approvalRules, record.request.cluster, record.request.namespace), caller);
  // A grant already ending is finished by this call (a revoke answered 202 may be sent again).
  if (record.status !== RequestStatus.Revoking) assertCanBecome(record, RequestStatus.Revoking);
  return removeGrant(record, RequestStatus.Revoked, caller, comment, deps);
}
