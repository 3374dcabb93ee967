import * as z from 'zod';
import { ValidationError } from './errors';
import { AuditEventSchema, lastSeq, type AccessRequestRecord, type AuditEvent } from './requestLifecycle';

/**
 * The largest request item the store writes, in bytes of its JSON encoding. DynamoDB refuses items
 * over 400 KB; a request's own data is bounded (at most 8 grants, 1,000-character justification and
 * comments, at most 10 approvals) and its audit trail lives in items of its own, so a valid request
 * stays far below this. The 4× headroom covers DynamoDB's own accounting (which JSON overstates for
 * everything but small numbers) and fields added later.
 */
export const MAX_REQUEST_ITEM_BYTES = 100_000;

/** Size of a value as the store measures an item: its JSON encoding in UTF-8. */
export function itemSizeBytes(value: unknown): number {
  return new TextEncoder().encode(JSON.stringify(value)).byteLength;
}

/** Refuses a request item over MAX_REQUEST_ITEM_BYTES: the same input always fails the same way, unlike DynamoDB's own refusal. */
export function assertRequestItemSize(id: string, bytes: number): void {
  if (bytes <= MAX_REQUEST_ITEM_BYTES) return;
  throw new ValidationError(
    'REQUEST_ITEM_TOO_LARGE',
    `access request ${id} would be stored as ${bytes} bytes; the limit is ${MAX_REQUEST_ITEM_BYTES}`,
    { details: { limit: MAX_REQUEST_ITEM_BYTES, actual: bytes } },
  );
}

/** One event in a workload's history, with the request (grant) it belongs to. */
export const WorkloadEventSchema = AuditEventSchema.extend({ requestId: z.string() }).meta({ id: 'WorkloadEvent' });
export type WorkloadEvent = z.infer<typeof WorkloadEventSchema>;

/**
 * A record's events split at its committed count: those a previous write committed (still to be
 * copied to event items, idempotently) and those this write adds. Without `eventCount` (a record
 * that was never stored) every event is one this write adds.
 */
export function splitEvents(record: Pick<AccessRequestRecord, 'eventCount' | 'events'>): {
  committed: AuditEvent[];
  added: AuditEvent[];
} {
  const count = record.eventCount ?? 0;
  return { committed: record.events.filter((event) => event.seq <= count), added: record.events.filter((event) => event.seq > count) };
}

/**
 * The record as the store returns it after this record was written: the events it added are its
 * pending events, everything before them is in event items. Code that keeps a record across writes
 * uses this, so that events do not pile up in memory and get rewritten by every later write.
 */
export function asCommitted(record: AccessRequestRecord): AccessRequestRecord {
  return { ...record, eventCount: lastSeq(record), events: splitEvents(record).added };
}

/**
 * A record as read from its item. An item written before event items existed has its whole trail
 * in `events` and no `eventCount`: all of it is committed, and the next write moves it to event items.
 */
export function fromStoredRecord(record: AccessRequestRecord): AccessRequestRecord {
  return record.eventCount === undefined ? { ...record, eventCount: lastSeq(record) } : record;
}

/**
 * One page of a trail, oldest first: event items (those after `after`, at least `limit` of them
 * when there are that many) merged with the item's pending events, deduplicated by seq. Only seqs up
 * to the committed count are shown, so a page never claims a change whose write did not commit.
 * Seqs run 1..eventCount without gaps, so there is more exactly when the page ends before eventCount.
 */
export function pageOfTrail(
  materialized: readonly AuditEvent[],
  record: Pick<AccessRequestRecord, 'eventCount' | 'events'>,
  after: number,
  limit: number,
): { events: AuditEvent[]; more: boolean } {
  const count = record.eventCount ?? lastSeq(record);
  const bySeq = new Map<number, AuditEvent>();
  for (const event of [...materialized, ...record.events]) {
    if (event.seq > after && event.seq <= count && !bySeq.has(event.seq)) bySeq.set(event.seq, event);
  }
  const events = [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(0, limit);
  const last = events.at(-1)?.seq ?? after;
  return { events, more: events.length > 0 && last < count };
}
