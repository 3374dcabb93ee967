import { revoke } from '../domain/decisions';
import type { CallerIdentity } from '../domain/identity';
import type { AccessRequestRecord } from '../domain/requestLifecycle';
import type { AccessRequestDeps } from './accessRequestDeps';
import { changeAccessRequest } from './changeAccessRequest';

/** Ends a grant. Plan-only grants created nothing, so there is nothing to remove yet. */
export function revokeAccessRequest(
  id: string,
  caller: CallerIdentity,
  comment: string | undefined,
  deps: AccessRequestDeps,
): Promise<AccessRequestRecord> {
  return changeAccessRequest(id, (record, rule, now) => revoke(record, rule, caller, now, comment), deps);
}
