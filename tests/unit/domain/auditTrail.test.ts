import {
  asCommitted,
  assertRequestItemSize,
  fromStoredRecord,
  MAX_REQUEST_ITEM_BYTES,
  pageOfTrail,
  splitEvents,
} from '../../../src/domain/auditTrail';
import { ValidationError } from '../../../src/domain/errors';
import { SYSTEM_IDENTITY } from '../../../src/domain/identity';
import { AuditEventType, recordDecision, type AccessRequestRecord, type AuditEvent } from '../../../src/domain/requestLifecycle';
import { makeAccessRequestRecord, SUBMITTED_AT } from '../../support/accessRequestRecord';
import { errorOf } from '../../support/errorOf';

/** Appends `count` system events, as a run of provisioning writes would. */
function withEvents(record: AccessRequestRecord, count: number): AccessRequestRecord {
  let next = record;
  for (let index = 0; index < count; index++) {
    next = recordDecision(next, { type: AuditEventType.AwsChange, actor: SYSTEM_IDENTITY, at: SUBMITTED_AT, reason: `change ${index}` });
  }
  return next;
}

const seqs = (events: readonly AuditEvent[]) => events.map((event) => event.seq);

describe('asCommitted', () => {
  it('keeps only the events the write added and counts every committed one', () => {
    // Arrange: stored after 3 events, then one write adds 2
    const stored = { ...asCommitted(withEvents(makeAccessRequestRecord(), 2)) };
    const changed = withEvents(stored, 2);

    // Act
    const committed = asCommitted(changed);

    // Assert
    expect(stored.eventCount).toBe(3);
    expect(seqs(changed.events)).toEqual([1, 2, 3, 4, 5]);
    expect(committed.eventCount).toBe(5);
    expect(seqs(committed.events)).toEqual([4, 5]);
  });

  it('keeps numbering after the committed count when the record holds no events', () => {
    // Arrange: a write that added no event leaves an item with none pending
    const empty = { ...asCommitted(withEvents(makeAccessRequestRecord(), 4)), events: [] };

    // Act
    const next = withEvents(empty, 1);

    // Assert
    expect(seqs(next.events)).toEqual([6]);
  });
});

describe('splitEvents', () => {
  it('tells committed events from the ones a write adds, at eventCount', () => {
    // Arrange
    const record = withEvents({ ...withEvents(makeAccessRequestRecord(), 2), eventCount: 3 }, 2);

    // Act
    const { committed, added } = splitEvents(record);

    // Assert
    expect(seqs(committed)).toEqual([1, 2, 3]);
    expect(seqs(added)).toEqual([4, 5]);
  });

  it('counts every event as added for a record that was never stored', () => {
    // Arrange
    const record = withEvents(makeAccessRequestRecord(), 1);

    // Act
    const { committed, added } = splitEvents(record);

    // Assert
    expect(committed).toEqual([]);
    expect(seqs(added)).toEqual([1, 2]);
  });
});

describe('fromStoredRecord', () => {
  it('reads a record in the old shape (whole trail, no eventCount) as all committed', () => {
    // Arrange
    const legacy = withEvents(makeAccessRequestRecord(), 6);

    // Act
    const read = fromStoredRecord(legacy);

    // Assert
    expect(read.eventCount).toBe(7);
    expect(splitEvents(read).committed).toHaveLength(7);
    expect(seqs(splitEvents(withEvents(read, 1)).added)).toEqual([8]);
  });
});

describe('pageOfTrail', () => {
  const full = withEvents(makeAccessRequestRecord(), 9).events;
  const item = { eventCount: 10, events: full.slice(7) };

  it('merges event items with the pending events of the item, once each, in seq order', () => {
    // Arrange: events 8 was copied to its item too, event 9 and 10 only pending

    // Act
    const page = pageOfTrail(full.slice(0, 8), item, 5, 10);

    // Assert
    expect(seqs(page.events)).toEqual([6, 7, 8, 9, 10]);
    expect(page.more).toBe(false);
  });

  it('says there is more exactly when the page ends before the committed count', () => {
    // Arrange (the trail above)

    // Act
    const first = pageOfTrail(full.slice(0, 4), item, 0, 4);
    const last = pageOfTrail(full.slice(4, 8), item, 6, 4);

    // Assert
    expect([seqs(first.events), first.more]).toEqual([[1, 2, 3, 4], true]);
    expect([seqs(last.events), last.more]).toEqual([[7, 8, 9, 10], false]);
  });

  it('never shows an event past the committed count', () => {
    // Arrange: an event item a losing writer could never write, but a later reader must not trust
    const page = pageOfTrail(full, { eventCount: 4, events: [] }, 0, 100);

    // Act / Assert
    expect(seqs(page.events)).toEqual([1, 2, 3, 4]);
  });
});

describe('assertRequestItemSize', () => {
  it('refuses an item over the limit with a stable code naming both numbers', () => {
    // Arrange
    const bytes = MAX_REQUEST_ITEM_BYTES + 1;

    // Act
    const error = errorOf(() => assertRequestItemSize('req-0001', bytes));

    // Assert
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'REQUEST_ITEM_TOO_LARGE', details: { limit: MAX_REQUEST_ITEM_BYTES, actual: bytes } });
    expect(() => assertRequestItemSize('req-0001', MAX_REQUEST_ITEM_BYTES)).not.toThrow();
  });
});
