import { findApprovalRule } from '../domain/approvalRules';
import { assertCanBecome, assertMayManageGrant } from '../domain/decisions';
import type { CallerIdentity } from '../domain/identity';
import { RequestStatus, type AccessRequestRecord } from '../domain/requestLifecycle';
import { loadAccessRequest } from './changeAccessRequest';
import type { ProvisioningDeps } from './provisioningDeps';
import { removeGrant } from './removeGrant';

/** Ends a grant: removes the IAM objects the broker created for it (none for plan-only grants). */
export async function revokeAccessRequest(
  id: string,
  caller: CallerIdentity,
  comment: string | undefined,
  deps: ProvisioningDeps,
): Promise<AccessRequestRecord> {
  const record = await loadAccessRequest(id, deps);
  assertMayManageGrant(record, findApprovalRule(deps.config.approvalRules, record.request.cluster, record.request.namespace), caller);
  assertCanBecome(record, RequestStatus.Revoked);
  return removeGrant(record, RequestStatus.Revoked, caller, comment, deps);
}
