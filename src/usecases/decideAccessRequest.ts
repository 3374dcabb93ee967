import { findCluster } from '../domain/brokerConfig';
import { activatePlanOnly, approve, reject } from '../domain/decisions';
import { ConflictError } from '../domain/errors';
import { assertRequestFitsConfig } from '../domain/grantPlan';
import type { CallerIdentity } from '../domain/identity';
import { RequestStatus, type AccessRequestRecord } from '../domain/requestLifecycle';
import type { AccessRequestDeps } from './accessRequestDeps';
import { changeAccessRequest } from './changeAccessRequest';

/**
 * What follows approval: with provisioning enabled the request waits, approved, for the provisioning
 * function; without it, it becomes a plan-only grant at once.
 */
export function afterApproval(record: AccessRequestRecord, now: Date, deps: Pick<AccessRequestDeps, 'config'>): AccessRequestRecord {
  if (record.status !== RequestStatus.Approved || deps.config.provisioning.enabled) return record;
  return activatePlanOnly(record, now);
}

/** Hands an approved request to the provisioning function; a lost hand-off is resumed with /retry. */
export async function startProvisioningIfApproved(record: AccessRequestRecord, deps: Pick<AccessRequestDeps, 'queue'>): Promise<void> {
  if (record.status === RequestStatus.Approved) await deps.queue.enqueue({ requestId: record.id });
}

/** Adds the caller's approval; the approval that completes the count moves the grant on. */
export async function approveAccessRequest(
  id: string,
  caller: CallerIdentity,
  comment: string | undefined,
  deps: AccessRequestDeps,
): Promise<AccessRequestRecord> {
  const record = await changeAccessRequest(
    id,
    (current, rule, now) => {
      // Config may have changed since submit: an approval never lets through what it no longer allows.
      const cluster = findCluster(deps.config, current.request.cluster);
      if (!cluster) throw new ConflictError('CLUSTER_NOT_CONFIGURED', `cluster ${current.request.cluster} is no longer configured`);
      assertRequestFitsConfig(current.request, cluster, deps.config);
      return afterApproval(approve(current, rule, caller, now, comment), now, deps);
    },
    deps,
  );
  await startProvisioningIfApproved(record, deps);
  return record;
}

/** Rejects a pending request with the caller's reason. */
export function rejectAccessRequest(
  id: string,
  caller: CallerIdentity,
  comment: string,
  deps: AccessRequestDeps,
): Promise<AccessRequestRecord> {
  return changeAccessRequest(id, (record, rule, now) => reject(record, rule, caller, now, comment), deps);
}
