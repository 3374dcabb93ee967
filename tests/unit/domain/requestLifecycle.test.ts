import { ConflictError } from '../../../src/domain/errors';
import { SYSTEM_IDENTITY } from '../../../src/domain/identity';
import {
  AuditEventType,
  canTransition,
  recordDecision,
  RequestStatus,
  submittedEvent,
  transition,
  type AccessRequestRecord,
  type Change,
} from '../../../src/domain/requestLifecycle';
import { alice, bob, makeAccessRequestRecord, SUBMITTED_AT } from '../../support/accessRequestRecord';
import { errorOf } from '../../support/errorOf';

const LEGAL: readonly (readonly [RequestStatus, RequestStatus])[] = [
  ['pending', 'approved'],
  ['pending', 'rejected'],
  ['pending', 'cancelled'],
  ['pending', 'expired'],
  ['approved', 'provisioning'],
  ['provisioning', 'active'],
  ['provisioning', 'failed'],
  ['failed', 'provisioning'],
  ['approved', 'revoking'],
  ['provisioning', 'revoking'],
  ['failed', 'revoking'],
  ['active', 'revoking'],
  ['revoking', 'revoked'],
  ['revoking', 'expired'],
];

const ALL_STATUSES = Object.values(RequestStatus);
const isLegal = (from: RequestStatus, to: RequestStatus) => LEGAL.some(([legalFrom, legalTo]) => legalFrom === from && legalTo === to);
const ILLEGAL = ALL_STATUSES.flatMap((from) => ALL_STATUSES.filter((to) => !isLegal(from, to)).map((to) => [from, to] as const));

const LATER = new Date('2030-01-01T10:00:00.000Z');

function recordIn(status: RequestStatus): AccessRequestRecord {
  return { ...makeAccessRequestRecord(), status };
}

function change(overrides: Partial<Change> = {}): Change {
  return { type: AuditEventType.Approved, actor: bob, at: LATER, ...overrides };
}

describe('canTransition', () => {
  it.each(LEGAL)('allows %s → %s', (from, to) => {
    // Arrange / Act
    const allowed = canTransition(from, to);

    // Assert
    expect(allowed).toBe(true);
  });

  it.each(ILLEGAL)('refuses %s → %s', (from, to) => {
    // Arrange / Act
    const allowed = canTransition(from, to);

    // Assert
    expect(allowed).toBe(false);
  });

  it('covers every ordered pair of states exactly once between the legal and illegal lists', () => {
    // Arrange / Act
    const pairs = LEGAL.length + ILLEGAL.length;

    // Assert
    expect(pairs).toBe(ALL_STATUSES.length ** 2);
  });

  it.each(['revoked', 'expired', 'rejected', 'cancelled'] as const)('leaves no way out of the terminal state %s', (terminal) => {
    // Arrange / Act
    const exits = ALL_STATUSES.filter((to) => canTransition(terminal, to));

    // Assert
    expect(exits).toEqual([]);
  });
});

describe('transition', () => {
  it.each(LEGAL)('moves %s → %s and appends an audit event for the move', (from, to) => {
    // Arrange
    const record = recordIn(from);

    // Act
    const moved = transition(record, to, change());

    // Assert
    expect(moved.status).toBe(to);
    expect(moved.updatedAt).toBe(LATER.toISOString());
    expect(moved.events).toHaveLength(record.events.length + 1);
    expect(moved.events.at(-1)).toMatchObject({ seq: 2, from, to, type: AuditEventType.Approved, at: LATER.toISOString() });
  });

  it.each(ILLEGAL)('refuses %s → %s with ILLEGAL_TRANSITION naming the current state', (from, to) => {
    // Arrange
    const record = recordIn(from);

    // Act
    const error = errorOf(() => transition(record, to, change()));

    // Assert
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'ILLEGAL_TRANSITION', details: { current: from, requested: to } });
    expect((error as Error).message).toContain(`is ${from}`);
  });

  it('numbers events consecutively across a whole life', () => {
    // Arrange
    const submitted = makeAccessRequestRecord();

    // Act
    const revoked = [
      RequestStatus.Approved,
      RequestStatus.Provisioning,
      RequestStatus.Active,
      RequestStatus.Revoking,
      RequestStatus.Revoked,
    ].reduce((record, to) => transition(record, to, change()), submitted);

    // Assert
    expect(revoked.events.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(revoked.events.map((event) => [event.from, event.to])).toEqual([
      [null, 'pending'],
      ['pending', 'approved'],
      ['approved', 'provisioning'],
      ['provisioning', 'active'],
      ['active', 'revoking'],
      ['revoking', 'revoked'],
    ]);
  });

  it('records the actor by subject, email and source only, leaving out their groups', () => {
    // Arrange
    const record = recordIn(RequestStatus.Pending);

    // Act
    const approved = transition(record, RequestStatus.Approved, change({ actor: bob }));

    // Assert
    expect(approved.events.at(-1)?.actor).toEqual({ subject: 'bob', email: 'bob@example.com', source: 'jwt' });
  });

  it('keeps the reason and comment of the change', () => {
    // Arrange
    const record = recordIn(RequestStatus.Pending);

    // Act
    const rejected = transition(
      record,
      RequestStatus.Rejected,
      change({ type: AuditEventType.Rejected, reason: 'rule says no', comment: 'use the shared bucket' }),
    );

    // Assert
    expect(rejected.events.at(-1)).toMatchObject({ reason: 'rule says no', comment: 'use the shared bucket' });
  });

  it('leaves out reason and comment when the change has none', () => {
    // Arrange
    const record = recordIn(RequestStatus.Pending);

    // Act
    const approved = transition(record, RequestStatus.Approved, change({ reason: '', comment: undefined }));

    // Assert
    expect(approved.events.at(-1)).not.toHaveProperty('reason');
    expect(approved.events.at(-1)).not.toHaveProperty('comment');
  });

  it('returns a new record and leaves the one it was given untouched', () => {
    // Arrange
    const record = recordIn(RequestStatus.Pending);
    const before = structuredClone(record);

    // Act
    transition(record, RequestStatus.Approved, change());

    // Assert
    expect(record).toEqual(before);
  });
});

describe('recordDecision', () => {
  it('appends an event from and to the current state, keeping the status', () => {
    // Arrange
    const record = recordIn(RequestStatus.Pending);

    // Act
    const decided = recordDecision(record, change({ type: AuditEventType.Approval, reason: 'approval 1 of 2', comment: 'fine by me' }));

    // Assert
    expect(decided.status).toBe(RequestStatus.Pending);
    expect(decided.updatedAt).toBe(LATER.toISOString());
    expect(decided.events.at(-1)).toEqual({
      seq: 2,
      at: LATER.toISOString(),
      type: AuditEventType.Approval,
      actor: { subject: 'bob', email: 'bob@example.com', source: 'jwt' },
      from: RequestStatus.Pending,
      to: RequestStatus.Pending,
      reason: 'approval 1 of 2',
      comment: 'fine by me',
    });
  });

  it('keeps numbering after transitions', () => {
    // Arrange
    const active = [RequestStatus.Approved, RequestStatus.Provisioning, RequestStatus.Active].reduce(
      (record, to) => transition(record, to, change({ actor: SYSTEM_IDENTITY })),
      makeAccessRequestRecord(),
    );

    // Act
    const noted = recordDecision(active, change({ type: AuditEventType.DriftDetected, actor: SYSTEM_IDENTITY }));

    // Assert
    expect(noted.status).toBe(RequestStatus.Active);
    expect(noted.events.at(-1)).toMatchObject({ seq: 5, from: 'active', to: 'active', type: 'drift-detected' });
  });
});

describe('submittedEvent', () => {
  it('is event 1, from nothing to pending, by the requester', () => {
    // Arrange / Act
    const event = submittedEvent(alice, SUBMITTED_AT);

    // Assert
    expect(event).toEqual({
      seq: 1,
      at: SUBMITTED_AT.toISOString(),
      type: AuditEventType.Submitted,
      actor: { subject: 'alice', email: 'alice@example.com', source: 'jwt' },
      from: null,
      to: RequestStatus.Pending,
    });
  });
});
