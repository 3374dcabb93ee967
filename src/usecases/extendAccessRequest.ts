import { ExtensionRequestSchema, requestExtension } from '../domain/extensions';
import type { CallerIdentity } from '../domain/identity';
import { parseInput } from '../domain/parseInput';
import type { AccessRequestRecord } from '../domain/requestLifecycle';
import type { AccessRequestDeps } from './accessRequestDeps';
import { changeAccessRequest } from './changeAccessRequest';

/**
 * Asks for more time on an active grant. Granted at once when the rule's auto-approval covers it;
 * otherwise it waits for approvers, who decide with the usual approve and reject.
 */
export async function extendAccessRequest(
  id: string,
  body: unknown,
  caller: CallerIdentity,
  deps: AccessRequestDeps,
): Promise<AccessRequestRecord> {
  const input = parseInput(ExtensionRequestSchema, body, 'extension');
  return changeAccessRequest(id, (record, rule, now) => requestExtension(record, rule, caller, input, now), deps);
}
