import type { AccessRequestRecord, AuditEvent } from '../../domain/requestLifecycle';
import { workloadKeyOf } from '../../domain/workload';

/** The index that reads a workload's history in order (declared in serverless.yml). */
export const WorkloadEventIndex = { name: 'byWorkloadEvents', partitionKey: 'eventWorkload', sortKey: 'workloadEventKey' } as const;

/** Sort keys compare as strings, so seqs are zero-padded to a width no request reaches. */
const SEQ_WIDTH = 10;
const EVENT_PREFIX = 'EV#';

/**
 * One audit event in an item of its own, beside its request's item (same partition, so a request's
 * trail is one Query in seq order). It carries none of the request item's list attributes, so it never
 * appears in the list indexes.
 */
export interface EventItem {
  pk: string;
  sk: string;
  requestId: string;
  /** Not `workloadKey`: that keys the index of a workload's requests, which events must stay out of. */
  eventWorkload: string;
  /** Time first, so a workload's history across its requests reads in the order things happened. */
  workloadEventKey: string;
  event: AuditEvent;
}

/** The partition of a request: its item and its event items. */
export const requestPartition = (id: string) => `REQ#${id}`;

/** The sort key of event `seq`. */
export const eventSortKey = (seq: number) => `${EVENT_PREFIX}${String(seq).padStart(SEQ_WIDTH, '0')}`;

export function toEventItem(record: AccessRequestRecord, event: AuditEvent): EventItem {
  return {
    pk: requestPartition(record.id),
    sk: eventSortKey(event.seq),
    requestId: record.id,
    eventWorkload: workloadKeyOf(record.request.cluster, record.request.namespace, record.request.serviceAccount),
    workloadEventKey: `${event.at}#${record.id}#${eventSortKey(event.seq)}`,
    event,
  };
}
