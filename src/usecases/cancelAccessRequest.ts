import { cancel } from '../domain/decisions';
import type { CallerIdentity } from '../domain/identity';
import type { AccessRequestRecord } from '../domain/requestLifecycle';
import type { AccessRequestDeps } from './accessRequestDeps';
import { changeAccessRequest } from './changeAccessRequest';

/** The requester withdraws a pending request. */
export function cancelAccessRequest(
  id: string,
  caller: CallerIdentity,
  comment: string | undefined,
  deps: AccessRequestDeps,
): Promise<AccessRequestRecord> {
  return changeAccessRequest(id, (record, _rule, now) => cancel(record, caller, now, comment), deps);
}
