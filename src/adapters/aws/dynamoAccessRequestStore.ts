import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  asCommitted,
  assertRequestItemSize,
  fromStoredRecord,
  itemSizeBytes,
  pageOfTrail,
  splitEvents,
  type WorkloadEvent,
} from '../../domain/auditTrail';
import { ConflictError, DependencyUnavailableError, MalformedRequestError } from '../../domain/errors';
import { cursorRefusal, storeFailure } from './dynamoFailures';
import type { AccessRequestRecord, AuditEvent } from '../../domain/requestLifecycle';
import type { AccessRequestFilter, AccessRequestStore, Page, PageRequest } from '../../ports';
import { workloadKeyOf } from '../../domain/workload';
import { decodeCursor, encodeCursor, readFullPage } from './dynamoCursor';
import { eventSortKey, requestPartition, toEventItem, WorkloadEventIndex, type EventItem } from './dynamoEventItems';

/** Global secondary indexes of the single table (declared in serverless.yml), one per list filter. */
export const AccessRequestIndex = {
  ByNamespace: { name: 'byNamespace', partitionKey: 'clusterNamespace' },
  ByRequester: { name: 'byRequester', partitionKey: 'requester' },
  ByCluster: { name: 'byCluster', partitionKey: 'cluster' },
  ByStatus: { name: 'byStatus', partitionKey: 'status' },
  ByCreated: { name: 'byCreated', partitionKey: 'entity' },
  ByWorkload: { name: 'byWorkload', partitionKey: 'workloadKey' },
} as const;
type IndexName = (typeof AccessRequestIndex)[keyof typeof AccessRequestIndex]['name'];
const SORT_KEY = 'createdKey';
const ENTITY = 'access-request';

interface Item {
  pk: string;
  sk: string;
  version: number;
  entity: string;
  status: string;
  cluster: string;
  namespace: string;
  clusterNamespace: string;
  workloadKey: string;
  requester: string;
  createdKey: string;
  record: AccessRequestRecord;
}

const keyOf = (id: string) => ({ pk: requestPartition(id), sk: 'REQ' });
/** BatchWriteItem takes at most 25 puts. */
const BATCH_SIZE = 25;
const BATCH_ATTEMPTS = 5;
const EVENTS_INDEX = 'events';
const MAX_REMEMBERED_COPIES = 10_000;
const copiedKey = (id: string, seq: number) => `${id}#${seq}`;

function toItem(record: AccessRequestRecord): Item {
  return {
    ...keyOf(record.id),
    version: record.version,
    entity: ENTITY,
    status: record.status,
    cluster: record.request.cluster,
    namespace: record.request.namespace,
    clusterNamespace: `${record.request.cluster}#${record.request.namespace}`,
    workloadKey: workloadKeyOf(record.request.cluster, record.request.namespace, record.request.serviceAccount),
    requester: record.requester.subject,
    createdKey: `${record.createdAt}#${record.id}`,
    record,
  };
}

/** The most selective index for a filter, and the key value to query it with. */
function chooseIndex(filter: AccessRequestFilter): { index: IndexName; attribute: string; value: string } {
  if (filter.cluster && filter.namespace && filter.serviceAccount) {
    return {
      index: AccessRequestIndex.ByWorkload.name,
      attribute: 'workloadKey',
      value: workloadKeyOf(filter.cluster, filter.namespace, filter.serviceAccount),
    };
  }
  if (filter.cluster && filter.namespace) {
    return { index: AccessRequestIndex.ByNamespace.name, attribute: 'clusterNamespace', value: `${filter.cluster}#${filter.namespace}` };
  }
  if (filter.requester) return { index: AccessRequestIndex.ByRequester.name, attribute: 'requester', value: filter.requester };
  if (filter.cluster) return { index: AccessRequestIndex.ByCluster.name, attribute: 'cluster', value: filter.cluster };
  if (filter.status) return { index: AccessRequestIndex.ByStatus.name, attribute: 'status', value: filter.status };
  return { index: AccessRequestIndex.ByCreated.name, attribute: 'entity', value: ENTITY };
}

/** Filters the chosen index does not cover become a FilterExpression on plain attributes. */
function residualFilter(
  filter: AccessRequestFilter,
  index: IndexName,
): Pick<QueryCommandInput, 'FilterExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  const covered: Record<IndexName, readonly string[]> = {
    byNamespace: ['cluster', 'namespace'],
    byRequester: ['requester'],
    byCluster: ['cluster'],
    byStatus: ['status'],
    byCreated: [],
    byWorkload: ['cluster', 'namespace', 'serviceAccount'],
  };
  const remaining = Object.entries(filter).filter(([attribute, value]) => value !== undefined && !covered[index].includes(attribute));
  if (remaining.length === 0) return {};
  return {
    FilterExpression: remaining.map(([attribute]) => `#${attribute} = :${attribute}`).join(' AND '),
    ExpressionAttributeNames: Object.fromEntries(remaining.map(([attribute]) => [`#${attribute}`, attribute])),
    ExpressionAttributeValues: Object.fromEntries(remaining.map(([attribute, value]) => [`:${attribute}`, value])),
  };
}

/**
 * Access requests in one DynamoDB table: each request a single item whose `version` guards every
 * write, each audit event an append-only item of its own.
 *
 * DynamoDB Local stand-ins (dynalite) have no transactions, so the request item is the outbox of its
 * events: it holds the events its latest write added and `eventCount`. A write (1) copies the events
 * of the previous write to event items, idempotently (they are committed: they are in the stored
 * item); (2) writes the request item on its version, with only its own events; (3) copies its own
 * events to event items, best effort. A crash anywhere loses nothing (the item still has them, and
 * the next write or a read picks them up), and a writer that loses the race never writes an event
 * item, so the trail never shows a change that did not happen.
 */
export class DynamoAccessRequestStore implements AccessRequestStore {
  private readonly documents: DynamoDBDocumentClient;
  /**
   * Events this instance already put as items (request id and seq). Step (1) skips them: a run of
   * many writes on one request (provisioning) then costs one event put per event, not two. Another
   * process still copies them, as it cannot know.
   */
  private readonly copied = new Set<string>();

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async create(record: AccessRequestRecord): Promise<void> {
    const item = this.requestItem(record);
    await this.write(
      new PutCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
      () => new ConflictError('DUPLICATE_ID', `access request ${record.id} already exists`),
    );
    await this.copyEventsBestEffort(record, splitEvents(record).added);
  }

  async get(id: string): Promise<AccessRequestRecord | undefined> {
    const item = await this.getItem(id);
    return item && fromStoredRecord(item.record);
  }

  async replace(record: AccessRequestRecord, expectedVersion: number): Promise<void> {
    const item = this.requestItem(record);
    const { committed, added } = splitEvents(record);
    await this.putEvents(
      record,
      committed.filter((event) => !this.copied.has(copiedKey(record.id, event.seq))),
    );
    await this.write(
      new PutCommand({
        TableName: this.tableName,
        Item: item,
        ConditionExpression: 'version = :expected',
        ExpressionAttributeValues: { ':expected': expectedVersion },
      }),
      () => new ConflictError('CONCURRENT_UPDATE', `access request ${record.id} changed while this decision was being made`),
    );
    await this.copyEventsBestEffort(record, added);
  }

  async events(id: string, page: PageRequest): Promise<Page<AuditEvent> | undefined> {
    const after = page.cursor ? decodeSeqCursor(page.cursor, id) : 0;
    // The request item first: everything up to its eventCount is committed and, where not yet in
    // event items, still in the item. Reading event items first could miss a write that lands between.
    const item = await this.getItem(id);
    if (!item) return undefined;
    const record = fromStoredRecord(item.record);
    const count = record.eventCount ?? 0;
    let materialized: AuditEvent[] = [];
    if (after < count) {
      const output = await this.call(() =>
        this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
            ExpressionAttributeValues: { ':pk': requestPartition(id), ':from': eventSortKey(after + 1), ':to': eventSortKey(count) },
            ConsistentRead: true,
            Limit: page.limit,
          }),
        ),
      );
      materialized = ((output.Items ?? []) as EventItem[]).map((entry) => entry.event);
    }
    const { events, more } = pageOfTrail(materialized, record, after, page.limit);
    const last = events.at(-1);
    return {
      items: events,
      ...(more && last ? { nextCursor: encodeCursor({ index: EVENTS_INDEX, filter: id, key: { seq: last.seq } }) } : {}),
    };
  }

  async workloadEvents(workloadKey: string, page: PageRequest): Promise<Page<WorkloadEvent>> {
    const startKey = page.cursor ? decodeWorkloadCursor(page.cursor, workloadKey) : undefined;
    const output = await this.call(
      () =>
        this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: WorkloadEventIndex.name,
            KeyConditionExpression: '#workload = :workload',
            ExpressionAttributeNames: { '#workload': WorkloadEventIndex.partitionKey },
            ExpressionAttributeValues: { ':workload': workloadKey },
            ScanIndexForward: true,
            Limit: page.limit,
            ExclusiveStartKey: startKey,
          }),
        ),
      startKey !== undefined,
    );
    const items = (output.Items ?? []) as EventItem[];
    const last = items.at(-1);
    const more = output.LastEvaluatedKey !== undefined && last !== undefined;
    const lastKey = last && { pk: last.pk, sk: last.sk, eventWorkload: last.eventWorkload, workloadEventKey: last.workloadEventKey };
    return {
      items: items.map((entry) => ({ ...entry.event, requestId: entry.requestId })),
      ...(more && lastKey ? { nextCursor: encodeCursor({ index: WorkloadEventIndex.name, filter: workloadKey, key: lastKey }) } : {}),
    };
  }

  async list(filter: AccessRequestFilter, page: PageRequest): Promise<Page<AccessRequestRecord>> {
    const { index, attribute, value } = chooseIndex(filter);
    const fingerprint = JSON.stringify([filter.status, filter.cluster, filter.namespace, filter.requester, filter.serviceAccount]);
    const startKey = page.cursor
      ? decodeCursor(page.cursor, index, fingerprint, { names: ['pk', 'sk', attribute, SORT_KEY], fixed: { [attribute]: value } })
      : undefined;
    const residual = residualFilter(filter, index);
    const { items, more: mayHaveMore } = await readFullPage<Item>(
      (limit, exclusiveStartKey) =>
        this.call(
          () =>
            this.documents.send(
              new QueryCommand({
                TableName: this.tableName,
                IndexName: index,
                KeyConditionExpression: '#key = :key',
                ...residual,
                ExpressionAttributeNames: { ...residual.ExpressionAttributeNames, '#key': attribute },
                ExpressionAttributeValues: { ...residual.ExpressionAttributeValues, ':key': value },
                ScanIndexForward: false,
                Limit: limit,
                ExclusiveStartKey: exclusiveStartKey,
              }),
            ),
          exclusiveStartKey === startKey && startKey !== undefined,
        ),
      page.limit,
      startKey,
    );
    const last = items[items.length - 1];
    const more = mayHaveMore && last !== undefined;
    const lastKey = last && { pk: last.pk, sk: last.sk, [attribute]: value, [SORT_KEY]: last.createdKey };
    return {
      items: items.map((item) => fromStoredRecord(item.record)),
      ...(more && lastKey ? { nextCursor: encodeCursor({ index, filter: fingerprint, key: lastKey }) } : {}),
    };
  }

  /** The item a record is stored as: only the events this write adds; refused when over the size limit. */
  private requestItem(record: AccessRequestRecord): Item {
    const item = toItem(asCommitted(record));
    assertRequestItemSize(record.id, itemSizeBytes(item));
    return item;
  }

  private async getItem(id: string): Promise<Item | undefined> {
    const output = await this.call(() =>
      this.documents.send(new GetCommand({ TableName: this.tableName, Key: keyOf(id), ConsistentRead: true })),
    );
    return output.Item as Item | undefined;
  }

  /** Puts event items; a put of an existing event writes the same content again, so repeating is harmless. */
  private async putEvents(record: AccessRequestRecord, events: readonly AuditEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += BATCH_SIZE) {
      const batch = events.slice(start, start + BATCH_SIZE);
      let requests = batch.map((event) => ({ PutRequest: { Item: toEventItem(record, event) } }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > BATCH_ATTEMPTS) {
          throw new DependencyUnavailableError('STORE_UNAVAILABLE', 'the request store did not take the audit events');
        }
        const output = await this.call(() => this.documents.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } })));
        requests = (output.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (requests.length > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
      // Bounded memory: forgetting only costs a repeated (harmless) put.
      if (this.copied.size > MAX_REMEMBERED_COPIES) this.copied.clear();
      for (const event of batch) this.copied.add(copiedKey(record.id, event.seq));
    }
  }

  /**
   * After the request item committed, its events are safe in it: a failure to copy them now only
   * delays them until the next write, so it must not turn a committed change into an error.
   */
  private async copyEventsBestEffort(record: AccessRequestRecord, events: readonly AuditEvent[]): Promise<void> {
    try {
      await this.putEvents(record, events);
    } catch {
      return;
    }
  }

  private async write(command: PutCommand, conflict: () => ConflictError): Promise<void> {
    try {
      await this.documents.send(command);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException || (error as Error).name === 'ConditionalCheckFailedException') {
        const mapped = conflict();
        throw new ConflictError(mapped.code, mapped.message, { cause: error });
      }
      throw storeFailure(error, 'the request store could not be written');
    }
  }

  /** A read; `cursorGiven`: it continues from a caller's cursor, which DynamoDB may refuse as forged. */
  private async call<Output>(send: () => Promise<Output>, cursorGiven = false): Promise<Output> {
    try {
      return await send();
    } catch (error) {
      throw cursorRefusal(error, cursorGiven) ?? storeFailure(error, 'the request store could not be read');
    }
  }
}

/** The seq an events cursor continues after; only cursors issued for this request's trail. */
function decodeSeqCursor(text: string, id: string): number {
  const { seq } = decodeCursor(text, EVENTS_INDEX, id);
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0) {
    throw new MalformedRequestError('INVALID_CURSOR', 'the cursor is not one this API issued');
  }
  return seq;
}

/** The index position a workload-history cursor continues after; only cursors issued for this workload. */
function decodeWorkloadCursor(text: string, workloadKey: string): Record<string, string> {
  const key = decodeCursor(text, WorkloadEventIndex.name, workloadKey);
  const names = Object.keys(key).sort().join(',');
  if (
    names !== 'eventWorkload,pk,sk,workloadEventKey' ||
    key.eventWorkload !== workloadKey ||
    Object.values(key).some((value) => typeof value !== 'string')
  ) {
    throw new MalformedRequestError('INVALID_CURSOR', 'the cursor is not one this API issued');
  }
  return key as Record<string, string>;
}
