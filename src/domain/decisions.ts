import { assertMayDecide, isApprover, type ApprovalRule } from './approvalRules';
import { approveExtension, hasPendingExtension, rejectExtension } from './extensions';
import { ConflictError, ForbiddenError, ValidationError } from './errors';
import { isSamePerson, SYSTEM_IDENTITY, type CallerIdentity } from './identity';
import {
  AuditEventType,
  canTransition,
  GrantMode,
  RequestStatus,
  recordDecision,
  transition,
  type AccessRequestRecord,
} from './requestLifecycle';

const HOUR_MS = 3_600_000;

function assertPending(record: AccessRequestRecord): void {
  if (record.status !== RequestStatus.Pending) {
    throw new ConflictError('ILLEGAL_TRANSITION', `access request ${record.id} is ${record.status}, no longer pending`, {
      details: { current: record.status },
    });
  }
}

/** Whether a pending request has waited past its rule's timeout. */
export function isPendingTimedOut(record: AccessRequestRecord, now: Date): boolean {
  return record.status === RequestStatus.Pending && now.getTime() > Date.parse(record.pendingUntil);
}

/** Expires a pending request that waited too long. */
export function expirePending(record: AccessRequestRecord, now: Date): AccessRequestRecord {
  return transition(record, RequestStatus.Expired, {
    type: AuditEventType.Expired,
    actor: SYSTEM_IDENTITY,
    at: now,
    reason: 'pending timeout reached',
  });
}

/**
 * Until provisioning is enabled, an approved request becomes an active grant that is clearly labelled
 * plan-only: the plan and manifest are ready, but no IAM object was created.
 */
export function activatePlanOnly(record: AccessRequestRecord, now: Date): AccessRequestRecord {
  const note = 'plan only: this deployment does not provision IAM yet; create the role from the plan, or enable provisioning';
  const provisioning = transition(record, RequestStatus.Provisioning, {
    type: AuditEventType.ProvisioningStarted,
    actor: SYSTEM_IDENTITY,
    at: now,
    reason: note,
  });
  const active = transition(provisioning, RequestStatus.Active, {
    type: AuditEventType.Activated,
    actor: SYSTEM_IDENTITY,
    at: now,
    reason: note,
  });
  return {
    ...active,
    activatedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + record.durationHours * HOUR_MS).toISOString(),
    grant: { mode: GrantMode.PlanOnly, note },
  };
}

/**
 * Records an approval; the last one needed approves the request. On an active grant with a pending
 * extension the approval counts toward the extension instead.
 */
export function approve(
  record: AccessRequestRecord,
  rule: ApprovalRule,
  caller: CallerIdentity,
  now: Date,
  comment?: string,
): AccessRequestRecord {
  if (hasPendingExtension(record)) return approveExtension(record, rule, caller, now, comment);
  assertPending(record);
  assertMayDecide(rule, caller, [record.requester]);
  if (record.approvals.some((approval) => isSamePerson(approval, caller))) {
    throw new ConflictError('ALREADY_APPROVED', 'you have already approved this request; another approver must add theirs', {
      details: { approvals: record.approvals.length, required: rule.requiredApprovals },
    });
  }
  const approvals = [
    ...record.approvals,
    {
      subject: caller.subject,
      email: caller.email,
      ...(caller.person ? { person: caller.person } : {}),
      source: caller.source,
      at: now.toISOString(),
      comment,
    },
  ];
  const withApproval = { ...record, approvals };
  if (approvals.length < rule.requiredApprovals) {
    return recordDecision(withApproval, {
      type: AuditEventType.Approval,
      actor: caller,
      at: now,
      comment,
      reason: `approval ${approvals.length} of ${rule.requiredApprovals}`,
    });
  }
  return transition(withApproval, RequestStatus.Approved, {
    type: AuditEventType.Approved,
    actor: caller,
    at: now,
    comment,
    reason: `approval ${approvals.length} of ${rule.requiredApprovals}`,
  });
}

/** Approves a request that fits an auto-approval condition of its rule. */
export function autoApprove(record: AccessRequestRecord, rule: ApprovalRule, conditionIndex: number, now: Date): AccessRequestRecord {
  return transition(record, RequestStatus.Approved, {
    type: AuditEventType.AutoApproved,
    actor: SYSTEM_IDENTITY,
    at: now,
    reason: `fits auto-approval condition ${conditionIndex + 1} of rule ${rule.id}`,
  });
}

/**
 * Rejects a pending request; a comment saying why is required. On an active grant with a pending
 * extension it rejects the extension, and the grant stays as it was.
 */
export function reject(
  record: AccessRequestRecord,
  rule: ApprovalRule,
  caller: CallerIdentity,
  now: Date,
  comment: string,
): AccessRequestRecord {
  if (hasPendingExtension(record)) return rejectExtension(record, rule, caller, now, comment);
  assertPending(record);
  assertMayDecide(rule, caller, [record.requester]);
  if (!comment.trim()) throw new ValidationError('COMMENT_REQUIRED', 'a rejection needs a comment saying why');
  return transition(record, RequestStatus.Rejected, { type: AuditEventType.Rejected, actor: caller, at: now, comment });
}

/** The requester withdraws a pending request. */
export function cancel(record: AccessRequestRecord, caller: CallerIdentity, now: Date, comment?: string): AccessRequestRecord {
  if (!isSamePerson(record.requester, caller)) {
    throw new ForbiddenError('NOT_THE_REQUESTER', 'only the requester may cancel a request');
  }
  assertPending(record);
  return transition(record, RequestStatus.Cancelled, { type: AuditEventType.Cancelled, actor: caller, at: now, comment });
}

/** Only a grant's requester or an approver of its rule may end it or retry it. */
export function assertMayManageGrant(record: AccessRequestRecord, rule: ApprovalRule, caller: CallerIdentity): void {
  if (!isSamePerson(record.requester, caller) && !isApprover(rule, caller)) {
    throw new ForbiddenError(
      'NOT_ALLOWED_TO_MANAGE_GRANT',
      `only the requester or members of ${rule.approverGroups.join(', ')} may do this`,
    );
  }
}

/** A move that must be legal now, or a 409 naming the current state. */
export function assertCanBecome(record: AccessRequestRecord, to: RequestStatus): void {
  if (!canTransition(record.status, to)) {
    throw new ConflictError('ILLEGAL_TRANSITION', `access request ${record.id} is ${record.status}; it cannot become ${to}`, {
      details: { current: record.status, requested: to },
    });
  }
}
