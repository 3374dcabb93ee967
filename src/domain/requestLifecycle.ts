import * as z from 'zod';
import { AccessRequestSchema } from './accessRequest';
import { ConflictError } from './errors';
import { CallerIdentitySchema, type CallerIdentity } from './identity';
import { GrantPlanSchema } from './grantPlan';
import { VerificationSchema } from './verification';

/** Where an access request is in its life. */
export const RequestStatus = {
  Pending: 'pending',
  Approved: 'approved',
  Provisioning: 'provisioning',
  Active: 'active',
  Failed: 'failed',
  /** Revoked or expired, and what the grant created is being removed; nothing can be created for it any more. */
  Revoking: 'revoking',
  Revoked: 'revoked',
  Expired: 'expired',
  Rejected: 'rejected',
  Cancelled: 'cancelled',
} as const;
export type RequestStatus = (typeof RequestStatus)[keyof typeof RequestStatus];
const ALL_STATUSES = Object.values(RequestStatus) as [RequestStatus, ...RequestStatus[]];
export const RequestStatusSchema = z.enum(ALL_STATUSES);

/**
 * The only legal moves. A grant ends in two steps: first `revoking` is recorded (from then on no
 * provisioning or repair step may create anything for it: each of their writes is conditional on the
 * record they read), then what it created is removed and it becomes `revoked` or `expired`. Every
 * state that may hold IAM or Kubernetes objects — approved (a hand-off in flight), provisioning,
 * active, failed — can start ending, so revoke always wins.
 */
const TRANSITIONS: Record<RequestStatus, readonly RequestStatus[]> = {
  [RequestStatus.Pending]: [RequestStatus.Approved, RequestStatus.Rejected, RequestStatus.Cancelled, RequestStatus.Expired],
  [RequestStatus.Approved]: [RequestStatus.Provisioning, RequestStatus.Revoking],
  [RequestStatus.Provisioning]: [RequestStatus.Active, RequestStatus.Failed, RequestStatus.Revoking],
  [RequestStatus.Failed]: [RequestStatus.Provisioning, RequestStatus.Revoking],
  [RequestStatus.Active]: [RequestStatus.Revoking],
  [RequestStatus.Revoking]: [RequestStatus.Revoked, RequestStatus.Expired],
  [RequestStatus.Revoked]: [],
  [RequestStatus.Expired]: [],
  [RequestStatus.Rejected]: [],
  [RequestStatus.Cancelled]: [],
};

/** What happened, as the audit trail names it. */
export const AuditEventType = {
  Submitted: 'submitted',
  Approval: 'approval',
  Approved: 'approved',
  AutoApproved: 'auto-approved',
  Rejected: 'rejected',
  Cancelled: 'cancelled',
  ProvisioningStarted: 'provisioning-started',
  Activated: 'activated',
  Failed: 'failed',
  Revoked: 'revoked',
  Expired: 'expired',
  /** One change the broker made in AWS: what, on which object. */
  AwsChange: 'aws-change',
  /**
   * A change about to be made in AWS or a cluster, written before the call: if the run dies before
   * it confirms, the next run reads whether it happened and records that (aws-change /
   * kubernetes-change, or change-not-made).
   */
  ChangeIntended: 'change-intended',
  /** An intended change that a read showed never happened (the run stopped before or during the call). */
  ChangeNotMade: 'change-not-made',
  /** Revoke or expiry was decided: the grant's objects are being removed, and nothing new may be created. */
  Ending: 'ending',
  /** A request stuck in a state (a provisioning run past its deadline, a lost hand-off) was taken up again. */
  Resumed: 'resumed',
  /** Provisioning looked again at buckets a transient error left unchecked at submit. */
  BucketsRechecked: 'buckets-rechecked',
  /** One change the broker made in a cluster. */
  KubernetesChange: 'kubernetes-change',
  DriftDetected: 'drift-detected',
  DriftRepaired: 'drift-repaired',
  /** The grant was proved (or not) the way the pod uses it. */
  Verified: 'verified',
  /** An active grant's requester or owner asked for more time. */
  ExtensionRequested: 'extension-requested',
  /** An approval of a pending extension that does not yet complete the count. */
  ExtensionApproval: 'extension-approval',
  /** The grant's expiry moved: the extension was auto-approved or fully approved. */
  Extended: 'extended',
  ExtensionRejected: 'extension-rejected',
  /** The requester was told the grant expires soon. */
  ExpiryWarning: 'expiry-warning',
  /** Drift recorded earlier is gone (repaired, or undone by whoever caused it). */
  DriftCleared: 'drift-cleared',
} as const;
export type AuditEventType = (typeof AuditEventType)[keyof typeof AuditEventType];

export const AuditEventSchema = z
  .object({
    seq: z.number().int().min(1),
    at: z.string(),
    type: z.enum(Object.values(AuditEventType) as [AuditEventType, ...AuditEventType[]]),
    actor: CallerIdentitySchema.pick({ subject: true, email: true, source: true, person: true }),
    from: RequestStatusSchema.nullable(),
    to: RequestStatusSchema,
    reason: z.string().optional(),
    comment: z.string().optional(),
  })
  .meta({ id: 'AuditEvent' });
export type AuditEvent = z.infer<typeof AuditEventSchema>;

export const ApprovalSchema = z.object({
  subject: z.string(),
  email: z.string().optional(),
  /** Who approved, as joined by config: distinct approvals are distinct people. */
  person: z.string().optional(),
  source: CallerIdentitySchema.shape.source.optional(),
  at: z.string(),
  comment: z.string().optional(),
});
export type Approval = z.infer<typeof ApprovalSchema>;

/** More time asked for an active grant; it lives on the request until approvers decide. */
export const ExtensionSchema = z.object({
  durationHours: z.number().int(),
  justification: z.string(),
  requestedBy: CallerIdentitySchema.pick({ subject: true, email: true, source: true }),
  requestedAt: z.string(),
  approvals: z.array(ApprovalSchema),
});
export type Extension = z.infer<typeof ExtensionSchema>;

/**
 * One AWS or Kubernetes change, recorded before it is made. Settled by a read when a run stopped
 * between the call and its confirmation.
 */
export const ChangeIntentSchema = z.object({
  action: z.enum([
    'CreateOpenIDConnectProvider',
    'CreatePolicy',
    'DeletePolicyVersion',
    'DeletePolicy',
    'CreateRole',
    'UpdateAssumeRolePolicy',
    'PutRolePermissionsBoundary',
    'AttachRolePolicy',
    'DetachRolePolicy',
    'DeleteRole',
    'ApplyServiceAccount',
    'RemoveServiceAccount',
  ]),
  /** The object: an ARN, or namespace/name for a ServiceAccount. */
  target: z.string(),
  /** The policy attached or detached, or the policy version deleted. */
  argument: z.string().optional(),
  /** How the audit trail names the change once it is confirmed. */
  reason: z.string(),
  at: z.string(),
});
export type ChangeIntent = z.infer<typeof ChangeIntentSchema>;
export type ChangeAction = ChangeIntent['action'];

/** How a grant reached the cluster: plan-only until provisioning is enabled. */
export const GrantMode = { PlanOnly: 'plan-only', Provisioned: 'provisioned' } as const;
export type GrantMode = (typeof GrantMode)[keyof typeof GrantMode];

/**
 * An access request; `version` guards every write. The audit trail lives in event items of its own
 * (see auditTrail.ts): `events` holds only the events of the latest write (committed, perhaps not yet
 * copied to their items) plus, in memory, those a change is about to add; `eventCount` is the number
 * of committed events. Records stored before event items existed hold their whole trail in `events`
 * and no `eventCount`.
 */
export const AccessRequestRecordSchema = z
  .object({
    id: z.string(),
    version: z.number().int().min(1),
    status: RequestStatusSchema,
    request: AccessRequestSchema,
    requester: CallerIdentitySchema,
    ruleId: z.string(),
    durationHours: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    pendingUntil: z.string(),
    activatedAt: z.string().optional(),
    expiresAt: z.string().optional(),
    approvals: z.array(ApprovalSchema),
    grant: z
      .object({
        mode: z.enum([GrantMode.PlanOnly, GrantMode.Provisioned]),
        note: z.string(),
        roleArn: z.string().optional(),
        policyArn: z.string().optional(),
      })
      .optional(),
    /** Progress of provisioning, so that a retry verifies finished steps with reads instead of writes. */
    provisioning: z
      .object({
        policyCreated: z.boolean().optional(),
        roleCreated: z.boolean().optional(),
        attached: z.array(z.string()).optional(),
        /** Set once the ServiceAccount is in the cluster: whether the broker created it or took it over. */
        serviceAccount: z.enum(['created', 'adopted', 'updated']).optional(),
        attempts: z.number().int().optional(),
        /** `retryable`: a dependency did not answer, so /retry may succeed unchanged (absent on records from before). */
        lastError: z.object({ code: z.string(), message: z.string(), retryable: z.boolean().optional() }).optional(),
        /**
         * Until when the current provisioning run holds the request: past it, the run is taken to have
         * died (crash, timeout, a dependency that never answered), and the sweep takes the request up.
         */
        deadline: z.string().optional(),
        /** The change a run recorded as intended and has not yet confirmed (absent: none). */
        intent: ChangeIntentSchema.optional(),
      })
      .optional(),
    /** Set when revoke or expiry was decided (status `revoking`, then `revoked` or `expired`). */
    ending: z
      .object({
        outcome: z.enum(['revoked', 'expired']),
        actor: CallerIdentitySchema.pick({ subject: true, email: true, source: true, person: true }),
        at: z.string(),
        comment: z.string().optional(),
      })
      .optional(),
    /** A pending extension; absent once it was granted or rejected (the audit trail keeps it). */
    extension: ExtensionSchema.optional(),
    /** The expiry the requester was last warned about, so each expiry is warned about once. */
    expiryWarning: z.object({ at: z.string(), expiresAt: z.string() }).optional(),
    plan: GrantPlanSchema,
    /** The last verification of the grant, when one ran. */
    verification: VerificationSchema.optional(),
    /** What reconciliation last recorded as drift (absent: none), so that only a change of drift is audited. */
    driftFingerprint: z.string().optional(),
    /** How many audit events are committed; seqs run 1..eventCount without gaps. */
    eventCount: z.number().int().min(0).optional(),
    events: z.array(AuditEventSchema),
  })
  .meta({ id: 'AccessRequestRecord' });
export type AccessRequestRecord = z.infer<typeof AccessRequestRecordSchema>;

export interface Change {
  type: AuditEventType;
  actor: CallerIdentity;
  at: Date;
  reason?: string;
  comment?: string;
}

/** Whether `to` is a legal next state from `from`. */
export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Seq of the newest event the record knows, committed or only added in memory. The next event comes
 * after it, so a record whose older events moved to their own items numbers on without gaps or repeats.
 */
export function lastSeq(record: Pick<AccessRequestRecord, 'eventCount' | 'events'>): number {
  return Math.max(record.eventCount ?? 0, record.events.at(-1)?.seq ?? 0);
}

function auditEvent(seq: number, change: Change, from: RequestStatus | null, to: RequestStatus): AuditEvent {
  const event: AuditEvent = {
    seq,
    at: change.at.toISOString(),
    type: change.type,
    actor: {
      subject: change.actor.subject,
      email: change.actor.email,
      source: change.actor.source,
      ...(change.actor.person ? { person: change.actor.person } : {}),
    },
    from,
    to,
  };
  if (change.reason) event.reason = change.reason;
  if (change.comment) event.comment = change.comment;
  return event;
}

/** Appends an audit event without changing state (a decision that does not yet decide). */
export function recordDecision(record: AccessRequestRecord, change: Change): AccessRequestRecord {
  return {
    ...record,
    updatedAt: change.at.toISOString(),
    events: [...record.events, auditEvent(lastSeq(record) + 1, change, record.status, record.status)],
  };
}

/** Moves the request to `to`, appending the audit event; an illegal move is a 409 naming the current state. */
export function transition(record: AccessRequestRecord, to: RequestStatus, change: Change): AccessRequestRecord {
  if (!canTransition(record.status, to)) {
    throw new ConflictError('ILLEGAL_TRANSITION', `access request ${record.id} is ${record.status}; it cannot become ${to}`, {
      details: { current: record.status, requested: to },
    });
  }
  return {
    ...record,
    status: to,
    updatedAt: change.at.toISOString(),
    events: [...record.events, auditEvent(lastSeq(record) + 1, change, record.status, to)],
  };
}

/** The first audit event of a new request. */
export function submittedEvent(actor: CallerIdentity, at: Date): AuditEvent {
  return auditEvent(1, { type: AuditEventType.Submitted, actor, at }, null, RequestStatus.Pending);
}
