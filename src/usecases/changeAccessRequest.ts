import { asCommitted } from '../domain/auditTrail';
import { findApprovalRule, type ApprovalRule } from '../domain/approvalRules';
import { expirePending, isPendingTimedOut } from '../domain/decisions';
import { ConflictError, NotFoundError } from '../domain/errors';
import type { AccessRequestRecord } from '../domain/requestLifecycle';
import type { AccessRequestDeps } from './accessRequestDeps';

/** A pure change of one request, given the rule that governs it now and the time. */
export type RecordChange = (record: AccessRequestRecord, rule: ApprovalRule, now: Date) => AccessRequestRecord;

/**
 * Lost races are retried with jittered backoff, enough for ten approvers pressing at the same moment
 * (each round one of them wins) within an API call's time.
 */
const MAX_ATTEMPTS = 16;
const backoffMs = (attempt: number) => Math.random() * Math.min(400, 10 * 2 ** attempt);

/** Loads a request or fails with 404. */
export async function loadAccessRequest(id: string, deps: Pick<AccessRequestDeps, 'store'>): Promise<AccessRequestRecord> {
  const record = await deps.store.get(id);
  if (!record) throw new NotFoundError('ACCESS_REQUEST_NOT_FOUND', `no access request ${id}`);
  return record;
}

/**
 * Applies a change under optimistic concurrency: read, change, write if the version is unchanged.
 * A lost race re-reads and re-applies, so two racing approvals give exactly one transition and the
 * loser sees the new state (usually a 409 naming it). A pending request past its timeout is expired
 * first, and the caller is told so.
 */
export async function changeAccessRequest(id: string, change: RecordChange, deps: AccessRequestDeps): Promise<AccessRequestRecord> {
  for (let attempt = 1; ; attempt++) {
    const current = await loadAccessRequest(id, deps);
    const now = deps.clock.now();
    const rule = findApprovalRule(deps.config.approvalRules, current.request.cluster, current.request.namespace);
    const timedOut = isPendingTimedOut(current, now);
    const changed = timedOut ? expirePending(current, now) : change(current, rule, now);
    try {
      await deps.store.replace({ ...changed, version: current.version + 1 }, current.version);
    } catch (error) {
      if (error instanceof ConflictError && error.code === 'CONCURRENT_UPDATE' && attempt < MAX_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, backoffMs(attempt)));
        continue;
      }
      throw error;
    }
    if (timedOut) {
      throw new ConflictError('ILLEGAL_TRANSITION', `access request ${id} waited past its pending timeout and is now expired`, {
        details: { current: 'expired' },
      });
    }
    return asCommitted({ ...changed, version: current.version + 1 });
  }
}
