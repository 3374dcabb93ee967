import {
  activatePlanOnly,
  approve,
  assertCanBecome,
  assertMayManageGrant,
  autoApprove,
  cancel,
  expirePending,
  isPendingTimedOut,
  reject,
} from '../../../src/domain/decisions';
import { ConflictError, ForbiddenError, ValidationError } from '../../../src/domain/errors';
import { SYSTEM_IDENTITY, type CallerIdentity } from '../../../src/domain/identity';
import { AuditEventType, GrantMode, RequestStatus, type AccessRequestRecord } from '../../../src/domain/requestLifecycle';
import { alice, bob, carol, makeAccessRequestRecord, makeRule, mallory, SUBMITTED_AT } from '../../support/accessRequestRecord';
import { errorOf } from '../../support/errorOf';

const HOUR_MS = 3_600_000;
const NOW = new Date('2030-01-01T10:00:00.000Z');

/** Someone in the payments approver group, named for the test. */
const approverNamed = (subject: string, email?: string): CallerIdentity => ({
  subject,
  ...(email ? { email } : {}),
  groups: ['payments-leads'],
  source: 'jwt',
});

function recordIn(status: RequestStatus): AccessRequestRecord {
  return { ...makeAccessRequestRecord(), status };
}

describe('approve', () => {
  it('approves at once when the rule needs one approval', () => {
    // Arrange
    const record = makeAccessRequestRecord();

    // Act
    const approved = approve(record, makeRule(), bob, NOW, 'looks right');

    // Assert
    expect(approved.status).toBe(RequestStatus.Approved);
    expect(approved.approvals).toEqual([
      { subject: 'bob', email: 'bob@example.com', source: 'jwt', at: NOW.toISOString(), comment: 'looks right' },
    ]);
    expect(approved.events.at(-1)).toMatchObject({
      type: AuditEventType.Approved,
      from: 'pending',
      to: 'approved',
      actor: { subject: 'bob' },
      reason: 'approval 1 of 1',
      comment: 'looks right',
    });
  });

  it('keeps the request pending until N distinct approvers have approved', () => {
    // Arrange
    const rule = makeRule({ requiredApprovals: 3 });
    const record = makeAccessRequestRecord({ rule });

    // Act
    const first = approve(record, rule, bob, NOW);
    const second = approve(first, rule, carol, NOW);
    const third = approve(second, rule, approverNamed('dan'), NOW);

    // Assert
    expect([first.status, second.status, third.status]).toEqual(['pending', 'pending', 'approved']);
    expect(third.approvals.map((approval) => approval.subject)).toEqual(['bob', 'carol', 'dan']);
    expect(third.events.slice(1).map((event) => [event.type, event.reason])).toEqual([
      ['approval', 'approval 1 of 3'],
      ['approval', 'approval 2 of 3'],
      ['approved', 'approval 3 of 3'],
    ]);
  });

  it('refuses a second approval by the same person with ALREADY_APPROVED', () => {
    // Arrange
    const rule = makeRule({ requiredApprovals: 2 });
    const once = approve(makeAccessRequestRecord({ rule }), rule, bob, NOW);

    // Act
    const error = errorOf(() => approve(once, rule, bob, NOW));

    // Assert
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'ALREADY_APPROVED', details: { approvals: 1, required: 2 } });
  });

  it('knows a person by email too: the same email under another subject is ALREADY_APPROVED', () => {
    // Arrange
    const rule = makeRule({ requiredApprovals: 2 });
    const once = approve(makeAccessRequestRecord({ rule }), rule, approverNamed('okta|bob', 'bob@example.com'), NOW);

    // Act
    const error = errorOf(() => approve(once, rule, approverNamed('slack|U0BOB', 'BOB@example.com'), NOW));

    // Assert
    expect(error).toMatchObject({ code: 'ALREADY_APPROVED' });
  });

  it('refuses someone outside the approver groups with NOT_AN_APPROVER', () => {
    // Arrange
    const record = makeAccessRequestRecord();

    // Act
    const error = errorOf(() => approve(record, makeRule(), mallory, NOW));

    // Assert
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'NOT_AN_APPROVER', details: { rule: 'payments', approverGroups: ['payments-leads'] } });
  });

  it('refuses the requester with SELF_APPROVAL even when they are an approver', () => {
    // Arrange
    const requester: CallerIdentity = { ...alice, groups: ['team-payments', 'payments-leads'] };
    const record = makeAccessRequestRecord({ requester });

    // Act
    const error = errorOf(() => approve(record, makeRule(), requester, NOW));

    // Assert
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'SELF_APPROVAL' });
  });

  it('refuses the requester under another subject with the same email as SELF_APPROVAL', () => {
    // Arrange
    const record = makeAccessRequestRecord({ requester: alice });

    // Act
    const error = errorOf(() => approve(record, makeRule(), approverNamed('slack|U0ALICE', 'Alice@Example.com'), NOW));

    // Assert
    expect(error).toMatchObject({ code: 'SELF_APPROVAL' });
  });

  describe('one person, one identity', () => {
    const ownerAndApprover = ['team-payments', 'payments-leads'];

    it('refuses the requester coming back through Slack under another subject, joined by the people map, as SELF_APPROVAL', () => {
      // Arrange: alice's token has no email; the people map ties her Slack user to the same person.
      const requester: CallerIdentity = { subject: '00u1alice', groups: ['team-payments'], source: 'jwt', person: 'alice' };
      const fromSlack: CallerIdentity = { subject: 'alice-in-slack', groups: ownerAndApprover, source: 'slack', person: 'alice' };
      const record = makeAccessRequestRecord({ requester });

      // Act
      const error = errorOf(() => approve(record, makeRule(), fromSlack, NOW));

      // Assert
      expect(error).toMatchObject({ code: 'SELF_APPROVAL' });
    });

    it('refuses an approver config joins to nobody when they could have made the request, with APPROVER_NOT_JOINED', () => {
      // Arrange: a second login without an email, which nothing joins to alice (or to anyone).
      const unjoined: CallerIdentity = { subject: 'alice-second-login', groups: ownerAndApprover, source: 'jwt' };
      const record = makeAccessRequestRecord({ requester: { ...alice, person: 'email:alice@example.com' } });

      // Act
      const error = errorOf(() => approve(record, makeRule(), unjoined, NOW));

      // Assert
      expect(error).toBeInstanceOf(ForbiddenError);
      expect(error).toMatchObject({ code: 'APPROVER_NOT_JOINED', details: { rule: 'payments' } });
    });

    it("refuses a would-be requester deciding on an unjoined requester's request, with REQUESTER_NOT_JOINED", () => {
      // Arrange: the requester's token had no email, so nothing says the approver is someone else.
      const requester: CallerIdentity = { subject: 'okta|00u1', groups: ['team-payments'], source: 'jwt' };
      const approver: CallerIdentity = {
        subject: 'U0ALICE',
        email: 'alice@example.com',
        groups: ownerAndApprover,
        source: 'slack',
        person: 'email:alice@example.com',
      };

      // Act
      const error = errorOf(() => approve(makeAccessRequestRecord({ requester }), makeRule(), approver, NOW));

      // Assert
      expect(error).toMatchObject({ code: 'REQUESTER_NOT_JOINED' });
    });

    it('lets an unjoined approver who could not have made the request approve', () => {
      // Arrange
      const record = makeAccessRequestRecord();

      // Act
      const approved = approve(record, makeRule(), carol, NOW);

      // Assert
      expect(approved.status).toBe(RequestStatus.Approved);
    });

    it('counts two sessions of one IAM role as one approver: the second is ALREADY_APPROVED', () => {
      // Arrange
      const rule = makeRule({ requiredApprovals: 2 });
      const session = (name: string): CallerIdentity => ({
        subject: `arn:aws:sts::111122223333:assumed-role/approver-bot/${name}`,
        groups: ['payments-leads'],
        source: 'iam',
      });
      const once = approve(makeAccessRequestRecord({ rule }), rule, session('first'), NOW);

      // Act
      const error = errorOf(() => approve(once, rule, session('second'), NOW));

      // Assert
      expect(error).toMatchObject({ code: 'ALREADY_APPROVED' });
    });

    it('counts two identities joined to one person as one approver', () => {
      // Arrange
      const rule = makeRule({ requiredApprovals: 2 });
      const once = approve(makeAccessRequestRecord({ rule }), rule, { ...approverNamed('okta|dan'), person: 'dan' }, NOW);

      // Act
      const error = errorOf(() => approve(once, rule, { ...approverNamed('U0DAN'), source: 'slack', person: 'dan' }, NOW));

      // Assert
      expect(error).toMatchObject({ code: 'ALREADY_APPROVED' });
    });
  });

  it.each(['approved', 'provisioning', 'active', 'failed', 'revoked', 'expired', 'rejected', 'cancelled'] as const)(
    'refuses to approve a %s request with ILLEGAL_TRANSITION',
    (status) => {
      // Arrange
      const record = recordIn(status);

      // Act
      const error = errorOf(() => approve(record, makeRule(), bob, NOW));

      // Assert
      expect(error).toBeInstanceOf(ConflictError);
      expect(error).toMatchObject({ code: 'ILLEGAL_TRANSITION', details: { current: status } });
    },
  );
});

describe('reject', () => {
  it('rejects a pending request with the approver comment', () => {
    // Arrange
    const record = makeAccessRequestRecord();

    // Act
    const rejected = reject(record, makeRule(), bob, NOW, 'use the shared bucket');

    // Assert
    expect(rejected.status).toBe(RequestStatus.Rejected);
    expect(rejected.events.at(-1)).toMatchObject({ type: 'rejected', actor: { subject: 'bob' }, comment: 'use the shared bucket' });
  });

  it.each(['', '   '])('requires a comment: %j is COMMENT_REQUIRED', (comment) => {
    // Arrange
    const record = makeAccessRequestRecord();

    // Act
    const error = errorOf(() => reject(record, makeRule(), bob, NOW, comment));

    // Assert
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'COMMENT_REQUIRED' });
  });

  it('refuses non-approvers and the requester', () => {
    // Arrange
    const record = makeAccessRequestRecord();

    // Act
    const outsider = errorOf(() => reject(record, makeRule(), mallory, NOW, 'no'));
    const self = errorOf(() => reject(record, makeRule(), { ...alice, groups: ['payments-leads'] }, NOW, 'no'));

    // Assert
    expect(outsider).toMatchObject({ code: 'NOT_AN_APPROVER' });
    expect(self).toMatchObject({ code: 'SELF_APPROVAL' });
  });

  it('refuses a request that is no longer pending with ILLEGAL_TRANSITION', () => {
    // Arrange
    const record = recordIn(RequestStatus.Active);

    // Act
    const error = errorOf(() => reject(record, makeRule(), bob, NOW, 'too late'));

    // Assert
    expect(error).toMatchObject({ code: 'ILLEGAL_TRANSITION', details: { current: 'active' } });
  });
});

describe('cancel', () => {
  it('lets the requester withdraw a pending request', () => {
    // Arrange
    const record = makeAccessRequestRecord();

    // Act
    const cancelled = cancel(record, alice, NOW, 'not needed after all');

    // Assert
    expect(cancelled.status).toBe(RequestStatus.Cancelled);
    expect(cancelled.events.at(-1)).toMatchObject({ type: 'cancelled', actor: { subject: 'alice' }, comment: 'not needed after all' });
  });

  it('refuses anyone but the requester with NOT_THE_REQUESTER, approvers included', () => {
    // Arrange
    const record = makeAccessRequestRecord();

    // Act
    const error = errorOf(() => cancel(record, bob, NOW));

    // Assert
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'NOT_THE_REQUESTER' });
  });

  it.each(['approved', 'active', 'rejected'] as const)('refuses to cancel a %s request with ILLEGAL_TRANSITION', (status) => {
    // Arrange
    const record = recordIn(status);

    // Act
    const error = errorOf(() => cancel(record, alice, NOW));

    // Assert
    expect(error).toMatchObject({ code: 'ILLEGAL_TRANSITION', details: { current: status } });
  });
});

describe('assertMayManageGrant', () => {
  it.each([
    ['the requester', alice],
    ['an approver', bob],
  ])('lets %s manage the grant', (_who, caller) => {
    // Arrange
    const record = recordIn(RequestStatus.Active);

    // Act
    const act = () => assertMayManageGrant(record, makeRule(), caller);

    // Assert
    expect(act).not.toThrow();
  });

  it('refuses anyone else with NOT_ALLOWED_TO_MANAGE_GRANT naming the approver groups', () => {
    // Arrange
    const record = recordIn(RequestStatus.Active);

    // Act
    const error = errorOf(() => assertMayManageGrant(record, makeRule(), mallory));

    // Assert
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'NOT_ALLOWED_TO_MANAGE_GRANT' });
    expect((error as Error).message).toContain('payments-leads');
  });
});

describe('assertCanBecome', () => {
  it('refuses an illegal move with ILLEGAL_TRANSITION naming both states', () => {
    // Arrange
    const record = recordIn(RequestStatus.Pending);

    // Act
    const error = errorOf(() => assertCanBecome(record, RequestStatus.Revoked));

    // Assert
    expect(error).toMatchObject({ code: 'ILLEGAL_TRANSITION', details: { current: 'pending', requested: 'revoked' } });
  });
});

describe('isPendingTimedOut', () => {
  const record = makeAccessRequestRecord({ rule: makeRule({ pendingTimeoutHours: 72 }) });
  const deadline = SUBMITTED_AT.getTime() + 72 * HOUR_MS;

  it('is false up to and at the pending deadline', () => {
    // Arrange / Act
    const atDeadline = isPendingTimedOut(record, new Date(deadline));

    // Assert
    expect(atDeadline).toBe(false);
  });

  it('is true just after the pending deadline', () => {
    // Arrange / Act
    const after = isPendingTimedOut(record, new Date(deadline + 1));

    // Assert
    expect(after).toBe(true);
  });

  it('is false for a request that is no longer pending, however late', () => {
    // Arrange
    const approved = { ...record, status: RequestStatus.Approved };

    // Act
    const timedOut = isPendingTimedOut(approved, new Date(deadline + 1000 * HOUR_MS));

    // Assert
    expect(timedOut).toBe(false);
  });
});

describe('expirePending', () => {
  it('expires a pending request as the broker, saying why', () => {
    // Arrange
    const record = makeAccessRequestRecord();

    // Act
    const expired = expirePending(record, NOW);

    // Assert
    expect(expired.status).toBe(RequestStatus.Expired);
    expect(expired.events.at(-1)).toMatchObject({
      type: 'expired',
      actor: { subject: SYSTEM_IDENTITY.subject, source: 'system' },
      reason: 'pending timeout reached',
    });
  });
});

describe('activatePlanOnly', () => {
  it('makes an approved request an active plan-only grant that ends durationHours from now', () => {
    // Arrange
    const record = { ...makeAccessRequestRecord({ durationHours: 12 }), status: RequestStatus.Approved };

    // Act
    const active = activatePlanOnly(record, NOW);

    // Assert
    expect(active.status).toBe(RequestStatus.Active);
    expect(active.activatedAt).toBe(NOW.toISOString());
    expect(active.expiresAt).toBe(new Date(NOW.getTime() + 12 * HOUR_MS).toISOString());
    expect(active.grant?.mode).toBe(GrantMode.PlanOnly);
    expect(active.grant?.note).toMatch(/^plan only/);
  });

  it('records provisioning-started, then activated, both by the broker', () => {
    // Arrange
    const record = { ...makeAccessRequestRecord(), status: RequestStatus.Approved };

    // Act
    const active = activatePlanOnly(record, NOW);

    // Assert
    expect(active.events.slice(-2).map((event) => [event.type, event.from, event.to, event.actor.subject])).toEqual([
      ['provisioning-started', 'approved', 'provisioning', 'irsa-broker'],
      ['activated', 'provisioning', 'active', 'irsa-broker'],
    ]);
  });

  it('refuses a request that is not approved', () => {
    // Arrange
    const record = makeAccessRequestRecord();

    // Act
    const error = errorOf(() => activatePlanOnly(record, NOW));

    // Assert
    expect(error).toMatchObject({ code: 'ILLEGAL_TRANSITION', details: { current: 'pending' } });
  });
});

describe('autoApprove', () => {
  it('approves as the broker, naming the condition (counted from 1) and the rule', () => {
    // Arrange
    const rule = makeRule({
      autoApprove: [
        { s3Levels: ['list'], bucketPatterns: ['*'] },
        { s3Levels: ['read'], bucketPatterns: ['*'] },
      ],
    });
    const record = makeAccessRequestRecord({ rule });

    // Act
    const approved = autoApprove(record, rule, 1, NOW);

    // Assert
    expect(approved.status).toBe(RequestStatus.Approved);
    expect(approved.approvals).toEqual([]);
    expect(approved.events.at(-1)).toMatchObject({
      type: AuditEventType.AutoApproved,
      actor: { subject: 'irsa-broker', source: 'system' },
      from: 'pending',
      to: 'approved',
      reason: 'fits auto-approval condition 2 of rule payments',
    });
  });
});
