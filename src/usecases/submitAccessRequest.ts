import { AccessRequestSchema, type AccessRequest } from '../domain/accessRequest';
import { assertMayRequest, effectiveDurationHours, findApprovalRule, findAutoApproval } from '../domain/approvalRules';
import { findCluster } from '../domain/brokerConfig';
import { autoApprove } from '../domain/decisions';
import { ConflictError, NotFoundError } from '../domain/errors';
import type { CallerIdentity } from '../domain/identity';
import { parseInput } from '../domain/parseInput';
import { idempotencyCallerOf, makeIdempotentRequestId } from '../domain/requestIds';
import { RequestStatus, submittedEvent, type AccessRequestRecord } from '../domain/requestLifecycle';
import { makeWorkloadOutlook } from '../domain/workloadOutlook';
import type { AccessRequestDeps } from './accessRequestDeps';
import { planRequest } from './planGrant';
import { readWorkloadState } from './workloadState';
import { afterApproval, startProvisioningIfApproved } from './decideAccessRequest';

const HOUR_MS = 3_600_000;

export interface SubmitOptions {
  /** The client's Idempotency-Key: every attempt with the same caller and key files one request. */
  idempotencyKey?: string;
}

/** JSON with sorted keys, so that two requests compare by content, not by the order their fields came in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, entry: unknown) =>
    entry && typeof entry === 'object' && !Array.isArray(entry)
      ? Object.fromEntries(Object.entries(entry as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : entry,
  );
}

/**
 * The answer to another attempt at a request already stored under the same id: the stored request,
 * if it is the same caller's same request (as validated: an explicit default equals an omitted one);
 * else the key was reused for something else. A first attempt may have stored an approved request and
 * died before handing it to provisioning, so an `approved` one is handed over again (provisioning is
 * idempotent; a second hand-off finds the work done or under way).
 */
async function replay(
  earlier: AccessRequestRecord,
  request: AccessRequest,
  caller: CallerIdentity,
  deps: AccessRequestDeps,
): Promise<AccessRequestRecord> {
  if (idempotencyCallerOf(earlier.requester) !== idempotencyCallerOf(caller) || canonical(earlier.request) !== canonical(request)) {
    throw new ConflictError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different body', {
      details: { id: earlier.id },
    });
  }
  await startProvisioningIfApproved(earlier, deps);
  return earlier;
}

/**
 * Files an access request: validates it, checks the caller may ask in that namespace, plans the
 * grant (so a request that cannot be provisioned is refused now, not after approval) and stores it
 * pending — or approved and active at once when an auto-approval condition covers it.
 *
 * With an Idempotency-Key the id is derived from caller and key, and the store creates an id only
 * once: a retry after any failure — before the write, after it with the answer lost, during the
 * hand-off — and any number of concurrent attempts find the one stored request and return it.
 */
export async function submitAccessRequest(
  body: unknown,
  caller: CallerIdentity,
  deps: AccessRequestDeps,
  options: SubmitOptions = {},
): Promise<AccessRequestRecord> {
  const request = parseInput(AccessRequestSchema, body, 'access request');
  const keyed = options.idempotencyKey !== undefined;
  const id = keyed ? makeIdempotentRequestId(caller, options.idempotencyKey!) : deps.ids.newId();
  if (keyed) {
    // Before anything is planned: a stored request is the answer even if config has changed since, and
    // planning again would count the stored request against its own workload.
    const earlier = await deps.store.get(id);
    if (earlier) return replay(earlier, request, caller, deps);
  }
  const cluster = findCluster(deps.config, request.cluster);
  if (!cluster) throw new NotFoundError('CLUSTER_NOT_FOUND', `cluster "${request.cluster}" is not configured in this broker`);
  const rule = findApprovalRule(deps.config.approvalRules, request.cluster, request.namespace);
  assertMayRequest(rule, caller, request.namespace);
  const durationHours = effectiveDurationHours(rule, request);

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
  try {
    await deps.store.create(record);
  } catch (error) {
    // The id exists: another attempt with the same key won the race, or this very write was stored and
    // its answer lost (the SDK's retry then finds the item). Either way the stored request is the answer.
    if (!(error instanceof ConflictError && error.code === 'DUPLICATE_ID')) throw error;
    const earlier = await deps.store.get(id);
    if (!earlier) throw error;
    return replay(earlier, request, caller, deps);
  }
  await startProvisioningIfApproved(record, deps);
  return record;
}
