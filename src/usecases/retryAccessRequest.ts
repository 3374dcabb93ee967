import { findApprovalRule } from '../domain/approvalRules';
import { assertMayManageGrant } from '../domain/decisions';
import { ConflictError } from '../domain/errors';
import type { CallerIdentity } from '../domain/identity';
import { RequestStatus, type AccessRequestRecord } from '../domain/requestLifecycle';
import type { AccessRequestDeps } from './accessRequestDeps';
import { loadAccessRequest } from './changeAccessRequest';

/** Sends a failed (or stuck approved) grant back to the provisioning function. */
export async function retryAccessRequest(id: string, caller: CallerIdentity, deps: AccessRequestDeps): Promise<AccessRequestRecord> {
  const record = await loadAccessRequest(id, deps);
  assertMayManageGrant(record, findApprovalRule(deps.config.approvalRules, record.request.cluster, record.request.namespace), caller);
  if (record.status !== RequestStatus.Failed && record.status !== RequestStatus.Approved) {
    throw new ConflictError(
      'ILLEGAL_TRANSITION',
      `access request ${id} is ${record.status}; only failed or approved grants can be retried`,
      {
        details: { current: record.status },
      },
    );
  }
  await deps.queue.enqueue({ requestId: id });
  return record;
}
