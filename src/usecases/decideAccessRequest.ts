import { activatePlanOnly, approve, reject } from '../domain/decisions';
import type { CallerIdentity } from '../domain/identity';
import { RequestStatus, type AccessRequestRecord } from '../domain/requestLifecycle';
import type { AccessRequestDeps } from './accessRequestDeps';
import { changeAccessRequest } from './changeAccessRequest';

/** Adds the caller's approval; the approval that completes the count also activates the grant. */
export function approveAccessRequest(
  id: string,
  caller: CallerIdentity,
  comment: string | undefined,
  deps: AccessRequestDeps,
): Promise<AccessRequestRecord> {
  return changeAccessRequest(
    id,
    (record, rule, now) => {
      const approved = approve(record, rule, caller, now, comment);
      return approved.status === RequestStatus.Approved ? activatePlanOnly(approved, now) : approved;
    },
    deps,
  );
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
