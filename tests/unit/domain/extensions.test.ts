import type { ApprovalRule } from '../../../src/domain/approvalRules';
import { activatePlanOnly, approve, reject } from '../../../src/domain/decisions';
import { ConflictError, ForbiddenError, ValidationError } from '../../../src/domain/errors';
import {
  ExtensionRequestSchema,
  hasPendingExtension,
  isExpiryWarningDue,
  requestExtension,
  warnOfExpiry,
} from '../../../src/domain/extensions';
import type { CallerIdentity } from '../../../src/domain/identity';
import { AuditEventType, RequestStatus, type AccessRequestRecord } from '../../../src/domain/requestLifecycle';
import { alice, bob, carol, makeAccessRequestRecord, makeRule, mallory, SUBMITTED_AT } from '../../support/accessRequestRecord';
import { errorOf } from '../../support/errorOf';

const HOUR_MS = 3_600_000;
const ACTIVATED_AT = new Date('2030-01-01T10:00:00.000Z');
const LATER = new Date('2030-01-02T09:00:00.000Z');
const hoursAfter = (at: Date, hours: number) => new Date(at.getTime() + hours * HOUR_MS).toISOString();

/** Another owner of the payments namespace, not the requester. */
const olga: CallerIdentity = { subject: 'olga', groups: ['team-payments'], source: 'jwt' };
/** An owner of payments who is also an approver. */
const paula: CallerIdentity = { subject: 'paula', groups: ['team-payments', 'payments-leads'], source: 'jwt' };
const dan: CallerIdentity = { subject: 'dan', groups: ['payments-leads'], source: 'jwt' };

/** Public docs for a day or less need no person, as the shipped config has it. */
const autoRule = (overrides: Parameters<typeof makeRule>[0] = {}) =>
  makeRule({ autoApprove: [{ s3Levels: ['read'], bucketPatterns: ['acme-public-*'], maxDurationHours: 24 }], ...overrides });
const publicRead = { grants: [{ type: 's3' as const, bucket: 'acme-public-docs', level: 'read' as const }] };

/** A grant approved by bob and active for `durationHours` from ACTIVATED_AT. */
function activeGrant(rule: ApprovalRule = makeRule(), options: Parameters<typeof makeAccessRequestRecord>[0] = {}): AccessRequestRecord {
  const pending = makeAccessRequestRecord({ rule, durationHours: 24, ...options });
  return activatePlanOnly({ ...pending, status: RequestStatus.Approved }, ACTIVATED_AT);
}

const ask = (durationHours: number, justification = 'the export runs another week') => ({ durationHours, justification });

describe('requestExtension', () => {
  it('records a pending extension on the active grant, audited as extension-requested, leaving the expiry as it was', () => {
    // Arrange
    const rule = makeRule();
    const grant = activeGrant(rule);

    // Act
    const asked = requestExtension(grant, rule, alice, ask(48), LATER);

    // Assert
    expect(asked.status).toBe(RequestStatus.Active);
    expect(asked.expiresAt).toBe(grant.expiresAt);
    expect(asked.extension).toEqual({
      durationHours: 48,
      justification: 'the export runs another week',
      requestedBy: { subject: 'alice', email: 'alice@example.com', source: 'jwt' },
      requestedAt: LATER.toISOString(),
      approvals: [],
    });
    expect(asked.events.at(-1)).toMatchObject({
      type: AuditEventType.ExtensionRequested,
      actor: { subject: 'alice' },
      from: 'active',
      to: 'active',
      comment: 'the export runs another week',
    });
  });

  it('lets another owner of the namespace ask, not only the requester', () => {
    // Arrange
    const rule = makeRule();

    // Act
    const asked = requestExtension(activeGrant(rule), rule, olga, ask(48), LATER);

    // Assert
    expect(asked.extension?.requestedBy.subject).toBe('olga');
  });

  it('refuses someone who is neither the requester nor an owner with NOT_ALLOWED_TO_EXTEND, even an approver', () => {
    // Arrange
    const rule = makeRule();
    const grant = activeGrant(rule);

    // Act
    const errors = [mallory, bob].map((caller) => errorOf(() => requestExtension(grant, rule, caller, ask(48), LATER)));

    // Assert
    for (const error of errors) {
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({ code: 'NOT_ALLOWED_TO_EXTEND', details: { ownerGroups: ['team-payments'] } });
    }
  });

  it("refuses a duration over the rule's maximum with the same DURATION_EXCEEDS_MAXIMUM as submit", () => {
    // Arrange
    const rule = makeRule({ maxDurationHours: 72 });

    // Act
    const error = errorOf(() => requestExtension(activeGrant(rule), rule, alice, ask(73), LATER));

    // Assert
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'DURATION_EXCEEDS_MAXIMUM', details: { limit: 72, actual: 73 } });
  });

  it('refuses an extension that would end the grant sooner than it ends now with EXTENSION_TOO_SHORT', () => {
    // Arrange: the grant runs until 10:00 on Jan 2; one hour from 09:00 ends before that.
    const rule = makeRule();

    // Act
    const error = errorOf(() => requestExtension(activeGrant(rule), rule, alice, ask(1), LATER));

    // Assert
    expect(error).toMatchObject({
      code: 'EXTENSION_TOO_SHORT',
      details: { expiresAt: hoursAfter(ACTIVATED_AT, 24), requestedExpiresAt: hoursAfter(LATER, 1) },
    });
  });

  it.each([RequestStatus.Pending, RequestStatus.Approved, RequestStatus.Failed, RequestStatus.Revoked, RequestStatus.Expired])(
    'refuses to extend a request that is %s with a 409 GRANT_NOT_ACTIVE naming the state',
    (status) => {
      // Arrange
      const rule = makeRule();
      const record = { ...makeAccessRequestRecord({ rule }), status };

      // Act
      const error = errorOf(() => requestExtension(record, rule, alice, ask(48), LATER));

      // Assert
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ code: 'GRANT_NOT_ACTIVE', details: { current: status } });
      expect((error as Error).message).toContain(status);
    },
  );

  it('refuses a second extension while one is pending with a 409 EXTENSION_PENDING', () => {
    // Arrange
    const rule = makeRule();
    const asked = requestExtension(activeGrant(rule), rule, alice, ask(48), LATER);

    // Act
    const error = errorOf(() => requestExtension(asked, rule, olga, ask(96), LATER));

    // Assert
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'EXTENSION_PENDING', details: { extension: { durationHours: 48 } } });
  });

  it('extends at once, counted from now, when a fresh request with these grants and this duration would be auto-approved', () => {
    // Arrange
    const rule = autoRule();
    const grant = activeGrant(rule, { request: publicRead });

    // Act
    const extended = requestExtension(grant, rule, alice, ask(24), LATER);

    // Assert
    expect(extended.expiresAt).toBe(hoursAfter(LATER, 24));
    expect(extended.extension).toBeUndefined();
    expect(extended.events.slice(-2).map((event) => [event.type, event.actor.subject])).toEqual([
      ['extension-requested', 'alice'],
      ['extended', 'irsa-broker'],
    ]);
    expect(extended.events.at(-1)?.reason).toContain('fits auto-approval condition 1 of rule payments');
  });

  it("waits for approvers when the duration is over the auto-approval condition's maximum", () => {
    // Arrange
    const rule = autoRule();

    // Act
    const asked = requestExtension(activeGrant(rule, { request: publicRead }), rule, alice, ask(25), LATER);

    // Assert
    expect(hasPendingExtension(asked)).toBe(true);
    expect(asked.expiresAt).toBe(hoursAfter(ACTIVATED_AT, 24));
  });

  it('waits for approvers when the grants fit no auto-approval condition', () => {
    // Arrange
    const rule = autoRule();

    // Act
    const asked = requestExtension(activeGrant(rule), rule, alice, ask(24), LATER);

    // Assert
    expect(hasPendingExtension(asked)).toBe(true);
  });
});

describe('approve and reject on a grant with a pending extension', () => {
  const rule = makeRule({ requiredApprovals: 2 });
  const pendingExtension = () => requestExtension(activeGrant(rule), rule, alice, ask(48), LATER);

  it('counts approvals toward the extension, and the last one needed moves the expiry to the duration from then', () => {
    // Arrange
    const asked = pendingExtension();
    const decidedAt = new Date(LATER.getTime() + 2 * HOUR_MS);

    // Act
    const first = approve(asked, rule, bob, decidedAt, 'fine');
    const second = approve(first, rule, carol, decidedAt);

    // Assert
    expect(first.extension?.approvals.map((approval) => approval.subject)).toEqual(['bob']);
    expect(first.expiresAt).toBe(asked.expiresAt);
    expect(second.status).toBe(RequestStatus.Active);
    expect(second.expiresAt).toBe(hoursAfter(decidedAt, 48));
    expect(second.extension).toBeUndefined();
    expect(second.approvals).toEqual(asked.approvals);
    expect(second.events.slice(-2).map((event) => [event.type, event.reason?.split(';')[0]])).toEqual([
      ['extension-approval', 'extension approval 1 of 2'],
      ['extended', 'extension approval 2 of 2'],
    ]);
  });

  it('refuses the same approver twice with ALREADY_APPROVED', () => {
    // Arrange
    const once = approve(pendingExtension(), rule, bob, LATER);

    // Act
    const error = errorOf(() => approve(once, rule, bob, LATER));

    // Assert
    expect(error).toMatchObject({ code: 'ALREADY_APPROVED', details: { approvals: 1, required: 2 } });
  });

  it("refuses the extension's requester as an approver, even when they are not the grant's requester", () => {
    // Arrange
    const asked = requestExtension(activeGrant(rule), rule, paula, ask(48), LATER);

    // Act
    const error = errorOf(() => approve(asked, rule, paula, LATER));

    // Assert
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'SELF_APPROVAL' });
  });

  it("refuses the grant's requester as an approver of an extension someone else asked for", () => {
    // Arrange
    const approverRequester: CallerIdentity = { ...paula, subject: 'alice', email: 'alice@example.com' };
    const asked = requestExtension(activeGrant(rule, { requester: approverRequester }), rule, olga, ask(48), LATER);

    // Act
    const error = errorOf(() => approve(asked, rule, approverRequester, LATER));

    // Assert
    expect(error).toMatchObject({ code: 'SELF_APPROVAL' });
  });

  it('refuses someone outside the approver groups with NOT_AN_APPROVER', () => {
    // Arrange / Act
    const error = errorOf(() => approve(pendingExtension(), rule, olga, LATER));

    // Assert
    expect(error).toMatchObject({ code: 'NOT_AN_APPROVER' });
  });

  it('clears the extension on rejection, audited as extension-rejected, and leaves the grant as it was', () => {
    // Arrange
    const asked = approve(pendingExtension(), rule, bob, LATER);

    // Act
    const rejected = reject(asked, rule, dan, LATER, 'the export should be done by now');

    // Assert
    expect(rejected.status).toBe(RequestStatus.Active);
    expect(rejected.expiresAt).toBe(asked.expiresAt);
    expect(rejected.extension).toBeUndefined();
    expect(rejected.events.at(-1)).toMatchObject({
      type: AuditEventType.ExtensionRejected,
      actor: { subject: 'dan' },
      comment: 'the export should be done by now',
    });
  });

  it('requires a comment to reject an extension', () => {
    // Arrange / Act
    const error = errorOf(() => reject(pendingExtension(), rule, bob, LATER, '  '));

    // Assert
    expect(error).toMatchObject({ code: 'COMMENT_REQUIRED' });
  });

  it('lets a new extension be asked once the last was decided', () => {
    // Arrange
    const rejected = reject(pendingExtension(), rule, bob, LATER, 'not yet');

    // Act
    const again = requestExtension(rejected, rule, alice, ask(36), LATER);

    // Assert
    expect(again.extension?.durationHours).toBe(36);
  });

  it('still refuses approve on an active grant without a pending extension, naming the state', () => {
    // Arrange / Act
    const error = errorOf(() => approve(activeGrant(rule), rule, bob, LATER));

    // Assert
    expect(error).toMatchObject({ code: 'ILLEGAL_TRANSITION', details: { current: 'active' } });
  });
});

describe('isExpiryWarningDue', () => {
  const grant = activeGrant();
  const expiresAt = Date.parse(grant.expiresAt!);

  it('is due once the grant expires within the warning window', () => {
    // Arrange
    const justInside = new Date(expiresAt - 6 * HOUR_MS);
    const outside = new Date(expiresAt - 6 * HOUR_MS - 1);

    // Act / Assert
    expect(isExpiryWarningDue(grant, justInside, 6)).toBe(true);
    expect(isExpiryWarningDue(grant, outside, 6)).toBe(false);
  });

  it('is not due again once the requester was warned of this expiry', () => {
    // Arrange
    const now = new Date(expiresAt - HOUR_MS);
    const warned = warnOfExpiry(grant, now);

    // Act / Assert
    expect(isExpiryWarningDue(warned, now, 24)).toBe(false);
    expect(warned.events.at(-1)).toMatchObject({ type: AuditEventType.ExpiryWarning, actor: { subject: 'irsa-broker' } });
    expect(warned.expiryWarning).toEqual({ at: now.toISOString(), expiresAt: grant.expiresAt });
  });

  it('is due again for the new expiry after an extension moved it', () => {
    // Arrange
    const rule = autoRule();
    const publicGrant = activeGrant(rule, { request: publicRead });
    const warned = warnOfExpiry(publicGrant, LATER);
    const extended = requestExtension(warned, rule, alice, ask(24), LATER);

    // Act / Assert
    expect(isExpiryWarningDue(extended, LATER, 24)).toBe(true);
  });

  it('is never due for a request that is not active', () => {
    // Arrange
    const pending = makeAccessRequestRecord({ at: SUBMITTED_AT });

    // Act / Assert
    expect(isExpiryWarningDue({ ...pending, expiresAt: LATER.toISOString() }, LATER, 24)).toBe(false);
  });
});

describe('ExtensionRequestSchema', () => {
  it.each([
    [{ durationHours: 0, justification: 'x' }],
    [{ durationHours: 1.5, justification: 'x' }],
    [{ durationHours: 24, justification: '   ' }],
    [{ durationHours: 24 }],
    [{ durationHours: 24, justification: 'x', extra: true }],
  ])('refuses %j', (body) => {
    // Arrange / Act
    const result = ExtensionRequestSchema.safeParse(body);

    // Assert
    expect(result.success).toBe(false);
  });
});
