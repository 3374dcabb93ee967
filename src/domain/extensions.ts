import * as z from 'zod';
import { assertMayDecide, effectiveDurationHours, findAutoApproval, isOwner, type ApprovalRule } from './approvalRules';
import { ConflictError, ForbiddenError, ValidationError } from './errors';
import { isSamePerson, SYSTEM_IDENTITY, type CallerIdentity } from './identity';
import { AuditEventType, RequestStatus, recordDecision, type AccessRequestRecord, type Extension } from './requestLifecycle';

const HOUR_MS = 3_600_000;

/** Body of `POST /access-requests/{id}/extend`: how long the grant should last from now, and why. */
export const ExtensionRequestSchema = z
  .object({
    durationHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 366),
    justification: z.string().trim().min(1).max(1000),
  })
  .strict()
  .meta({ id: 'ExtensionRequest', description: 'More time for an active grant, counted from when it is granted.' });
export type ExtensionRequest = z.infer<typeof ExtensionRequestSchema>;

/** Whether an active grant has an extension waiting for approvers. */
export function hasPendingExtension(record: AccessRequestRecord): record is AccessRequestRecord & { extension: Extension } {
  return record.status === RequestStatus.Active && record.extension !== undefined;
}

const hoursFrom = (now: Date, hours: number) => new Date(now.getTime() + hours * HOUR_MS).toISOString();

/** The record without its pending extension. */
function withoutExtension(record: AccessRequestRecord): AccessRequestRecord {
  const { extension: _extension, ...rest } = record;
  return rest;
}

/**
 * Moves the expiry to `durationHours` after `now` — the moment the extension is granted, not the
 * moment it was asked for, so a slow approval does not eat into the time approvers agreed to, and the
 * rule's maximum bounds the time left at the moment anyone grants it.
 */
function extend(record: AccessRequestRecord, durationHours: number, actor: CallerIdentity, now: Date, reason: string, comment?: string) {
  const expiresAt = hoursFrom(now, durationHours);
  return recordDecision(
    { ...withoutExtension(record), expiresAt },
    {
      type: AuditEventType.Extended,
      actor,
      at: now,
      comment,
      reason: `${reason}; expires at ${expiresAt} instead of ${record.expiresAt ?? 'never'}`,
    },
  );
}

function assertMayExtend(record: AccessRequestRecord, rule: ApprovalRule, caller: CallerIdentity): void {
  if (!isSamePerson(record.requester, caller) && !isOwner(rule, caller)) {
    throw new ForbiddenError(
      'NOT_ALLOWED_TO_EXTEND',
      `only the requester or members of ${rule.ownerGroups.join(', ')} may extend this grant`,
      { details: { rule: rule.id, ownerGroups: rule.ownerGroups } },
    );
  }
}

function assertExtendable(record: AccessRequestRecord): void {
  if (record.status !== RequestStatus.Active) {
    throw new ConflictError('GRANT_NOT_ACTIVE', `access request ${record.id} is ${record.status}; only an active grant can be extended`, {
      details: { current: record.status },
    });
  }
  if (record.extension) {
    throw new ConflictError(
      'EXTENSION_PENDING',
      `access request ${record.id} already has an extension waiting for approval; approvers decide on it first`,
      { details: { extension: { durationHours: record.extension.durationHours, requestedAt: record.extension.requestedAt } } },
    );
  }
}

/**
 * Asks for more time on an active grant, under the same rules as a new request: the requester or a
 * namespace owner may ask, the rule's maximum duration holds (the same 422 as at submit), and an
 * extension that a fresh request with these grants and this duration would get without a person is
 * granted at once. Otherwise it waits, on the request, for the rule's approvers.
 */
export function requestExtension(
  record: AccessRequestRecord,
  rule: ApprovalRule,
  caller: CallerIdentity,
  input: ExtensionRequest,
  now: Date,
): AccessRequestRecord {
  assertMayExtend(record, rule, caller);
  assertExtendable(record);
  const durationHours = effectiveDurationHours(rule, { ...record.request, durationHours: input.durationHours });
  // An "extension" that ends sooner would be a silent partial revoke; revoke is its own, audited route.
  if (record.expiresAt && Date.parse(hoursFrom(now, durationHours)) <= Date.parse(record.expiresAt)) {
    throw new ValidationError(
      'EXTENSION_TOO_SHORT',
      `the grant already lasts until ${record.expiresAt}; ${durationHours} hours from now would not extend it`,
      { details: { expiresAt: record.expiresAt, requestedExpiresAt: hoursFrom(now, durationHours) } },
    );
  }
  const requestedBy = { subject: caller.subject, email: caller.email, source: caller.source };
  const asked = recordDecision(
    {
      ...record,
      extension: { durationHours, justification: input.justification, requestedBy, requestedAt: now.toISOString(), approvals: [] },
    },
    {
      type: AuditEventType.ExtensionRequested,
      actor: caller,
      at: now,
      comment: input.justification,
      reason: `asks for ${durationHours} hours from when it is granted`,
    },
  );
  const autoApproval = findAutoApproval(rule, record.request, durationHours);
  if (autoApproval === undefined) return asked;
  return extend(asked, durationHours, SYSTEM_IDENTITY, now, `fits auto-approval condition ${autoApproval + 1} of rule ${rule.id}`);
}

/** Adds an approval to the pending extension; the last one needed moves the expiry. */
export function approveExtension(
  record: AccessRequestRecord & { extension: Extension },
  rule: ApprovalRule,
  caller: CallerIdentity,
  now: Date,
  comment?: string,
): AccessRequestRecord {
  const { extension } = record;
  assertMayDecide(rule, caller, [record.requester, extension.requestedBy]);
  if (extension.approvals.some((approval) => isSamePerson(approval, caller))) {
    throw new ConflictError('ALREADY_APPROVED', 'you have already approved this extension; another approver must add theirs', {
      details: { approvals: extension.approvals.length, required: rule.requiredApprovals },
    });
  }
  const approvals = [...extension.approvals, { subject: caller.subject, email: caller.email, at: now.toISOString(), comment }];
  const reason = `extension approval ${approvals.length} of ${rule.requiredApprovals}`;
  if (approvals.length < rule.requiredApprovals) {
    return recordDecision(
      { ...record, extension: { ...extension, approvals } },
      { type: AuditEventType.ExtensionApproval, actor: caller, at: now, comment, reason },
    );
  }
  return extend(record, extension.durationHours, caller, now, reason, comment);
}

/** Refuses the pending extension; the grant keeps its expiry. A comment saying why is required. */
export function rejectExtension(
  record: AccessRequestRecord & { extension: Extension },
  rule: ApprovalRule,
  caller: CallerIdentity,
  now: Date,
  comment: string,
): AccessRequestRecord {
  assertMayDecide(rule, caller, [record.requester, record.extension.requestedBy]);
  if (!comment.trim()) throw new ValidationError('COMMENT_REQUIRED', 'a rejection needs a comment saying why');
  return recordDecision(withoutExtension(record), {
    type: AuditEventType.ExtensionRejected,
    actor: caller,
    at: now,
    comment,
    reason: `extension by ${record.extension.durationHours} hours rejected; expires at ${record.expiresAt ?? 'never'} as before`,
  });
}

/** Whether an active grant expires within `warningHours` and its requester has not yet been warned of this expiry. */
export function isExpiryWarningDue(record: AccessRequestRecord, now: Date, warningHours: number): boolean {
  if (record.status !== RequestStatus.Active || !record.expiresAt) return false;
  // Keyed on the expiry itself: an extension moves it, and the new expiry gets its own warning.
  if (record.expiryWarning?.expiresAt === record.expiresAt) return false;
  return Date.parse(record.expiresAt) - now.getTime() <= warningHours * HOUR_MS;
}

/** Records that the requester is being told the grant expires soon (the notifier sends it). */
export function warnOfExpiry(record: AccessRequestRecord, now: Date): AccessRequestRecord {
  const expiresAt = record.expiresAt ?? now.toISOString();
  return recordDecision(
    { ...record, expiryWarning: { at: now.toISOString(), expiresAt } },
    { type: AuditEventType.ExpiryWarning, actor: SYSTEM_IDENTITY, at: now, reason: `expires at ${expiresAt}` },
  );
}
