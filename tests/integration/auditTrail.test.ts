import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { DynamoAccessRequestStore } from '../../src/adapters/aws/dynamoAccessRequestStore';
import { asCommitted, itemSizeBytes, MAX_REQUEST_ITEM_BYTES } from '../../src/domain/auditTrail';
import { SYSTEM_IDENTITY } from '../../src/domain/identity';
import { MAX_KEY_PREFIX_LENGTH } from '../../src/domain/names';
import { AuditEventType, recordDecision, type AccessRequestRecord, type AuditEvent } from '../../src/domain/requestLifecycle';
import { call, paymentsRequest, people, startStore } from '../support/accessRequestApi';
import { makeAccessRequestRecord } from '../support/accessRequestRecord';
import { readTrail } from '../support/trail';

let harness: Awaited<ReturnType<typeof startStore>>;
let store: DynamoAccessRequestStore;
let documents: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  harness = await startStore('irsa-broker-audit-trail');
  tableName = process.env.IRSA_BROKER_TABLE!;
  store = new DynamoAccessRequestStore(new DynamoDBClient({}), tableName);
  // A client of its own: document clients share their base client's middleware.
  documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
});
afterAll(async () => harness?.stop());

/** `count` drift events, as an hourly reconciler used to add them. */
function withEvents(record: AccessRequestRecord, count: number, reason = 'policy-document drifted'): AccessRequestRecord {
  let next = record;
  for (let index = 0; index < count; index++) {
    next = recordDecision(next, { type: AuditEventType.DriftDetected, actor: SYSTEM_IDENTITY, at: new Date(), reason });
  }
  return next;
}

/** One write through the real store, keeping the record as the store returns it (as GrantJournal does). */
async function write(record: AccessRequestRecord, events: number, reason?: string): Promise<AccessRequestRecord> {
  const next = { ...withEvents(record, events, reason), version: record.version + 1 };
  await store.replace(next, record.version);
  return asCommitted(next);
}

async function millis(act: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await act();
  return performance.now() - start;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const rawItem = async (id: string) =>
  (await documents.send(new GetCommand({ TableName: tableName, Key: { pk: `REQ#${id}`, sk: 'REQ' }, ConsistentRead: true }))).Item!;

async function eventItems(id: string): Promise<{ sk: string; event: AuditEvent }[]> {
  const items: { sk: string; event: AuditEvent }[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const output = await documents.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
        ExpressionAttributeValues: { ':pk': `REQ#${id}`, ':events': 'EV#' },
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...((output.Items ?? []) as { sk: string; event: AuditEvent }[]));
    startKey = output.LastEvaluatedKey;
  } while (startKey);
  return items;
}

async function pageAll(handler: string, options: { id?: string; path?: Record<string, string> }, limit: number) {
  const events: (AuditEvent & { requestId?: string })[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const response = await call(handler, {
      caller: people.alice,
      ...options,
      query: { limit: String(limit), ...(cursor ? { cursor } : {}) },
    });
    expect(response.status).toBe(200);
    events.push(...response.body.events);
    cursor = response.body.nextCursor;
    pages++;
  } while (cursor);
  return { events, pages };
}

const seqs = (events: readonly AuditEvent[]) => events.map((event) => event.seq);
const oneTo = (count: number) => Array.from({ length: count }, (_, index) => index + 1);

describe('the audit trail as items of its own, against the embedded DynamoDB', () => {
  it('keeps reads and writes bounded at 10,000 events and pages through all of them once, in order', async () => {
    // Arrange: warm the store and the client up on another request (so that early times are not
    // start-up times), then a request with single-event writes up to event 9
    const warmId = randomUUID();
    await store.create(makeAccessRequestRecord({ id: warmId }));
    let warm = (await store.get(warmId))!;
    for (let index = 0; index < 30; index++) warm = await write(warm, 1);
    const id = randomUUID();
    await store.create(makeAccessRequestRecord({ id }));
    let record = (await store.get(id))!;
    for (let index = 0; index < 8; index++) record = await write(record, 1);

    // Act: time writes and reads at events 10..14, fill to 9,995 in batches of 100, time again at 9,996..10,000
    const early = { writes: [] as number[], reads: [] as number[], bytes: 0 };
    for (let index = 0; index < 5; index++) {
      early.writes.push(await millis(async () => (record = await write(record, 1))));
      early.reads.push(await millis(() => store.get(id)));
    }
    early.bytes = itemSizeBytes(await rawItem(id));
    while (record.eventCount! < 9_994) record = await write(record, Math.min(100, 9_994 - record.eventCount!));
    record = await write(record, 1);
    const late = { writes: [] as number[], reads: [] as number[], bytes: 0 };
    for (let index = 0; index < 5; index++) {
      late.writes.push(await millis(async () => (record = await write(record, 1))));
      late.reads.push(await millis(() => store.get(id)));
    }
    late.bytes = itemSizeBytes(await rawItem(id));
    const { events, pages } = await pageAll('getAccessRequestEvents', { id }, 100);

    // Assert
    expect(record.eventCount).toBe(10_000);
    expect(median(late.writes) / median(early.writes)).toBeLessThan(5);
    expect(median(late.reads) / median(early.reads)).toBeLessThan(5);
    expect(late.bytes).toBeLessThan(early.bytes + 64);
    expect((await store.get(id))!.events).toHaveLength(1);
    expect(pages).toBe(100);
    expect(seqs(events)).toEqual(oneTo(10_000));
  }, 600_000);

  it('refuses a forged cursor, and a cursor issued for another trail or list, with 400 INVALID_CURSOR', async () => {
    // Arrange: two requests, each with a trail longer than a page
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) {
      await store.create(makeAccessRequestRecord({ id }));
      await write((await store.get(id))!, 3);
    }
    const other = (await call('getAccessRequestEvents', { caller: people.alice, id: ids[1], query: { limit: '2' } })).body.nextCursor;
    const list = (await call('listAccessRequests', { caller: people.alice, query: { limit: '1' } })).body.nextCursor;
    const forged = Buffer.from(JSON.stringify({ index: 'events', filter: ids[0], key: { seq: 'x' } })).toString('base64url');

    // Act
    const responses = await Promise.all(
      [other, list, forged, 'not-a-cursor'].map((cursor) =>
        call('getAccessRequestEvents', { caller: people.alice, id: ids[0], query: { cursor } }),
      ),
    );

    // Assert
    expect(other).toEqual(expect.any(String));
    expect(list).toEqual(expect.any(String));
    expect(responses.map((response) => [response.status, response.body.error.code])).toEqual(Array(4).fill([400, 'INVALID_CURSOR']));
  });

  it('reads an item stored in the old shape, and moves its trail to event items on the next write', async () => {
    // Arrange: a request whose item holds its whole trail (40 events) and no eventCount, as before event items
    // (made from a fresh request's item under a new id, so that no event item of it exists anywhere)
    const fresh = (await call('submitAccessRequest', { caller: people.alice, body: paymentsRequest() })).body.id;
    const raw = await rawItem(fresh);
    const id = randomUUID();
    const submitted = raw.record.events[0] as AuditEvent;
    const trail: AuditEvent[] = [
      submitted,
      ...oneTo(39).map((index) => ({ ...submitted, seq: index + 1, type: 'approval' as const, reason: `note ${index}` })),
    ];
    const { eventCount: _count, ...legacy } = { ...raw.record, id, events: trail };
    await documents.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...raw, pk: `REQ#${id}`, createdKey: `${raw.record.createdAt}#${id}`, record: legacy },
      }),
    );
    expect(await eventItems(id)).toEqual([]);

    // Act
    const before = await pageAll('getAccessRequestEvents', { id }, 25);
    const fetched = await call('getAccessRequest', { caller: people.alice, id });
    const approved = await call('approveAccessRequest', { caller: people.bob, id, body: { comment: 'fine' } });
    const after = await pageAll('getAccessRequestEvents', { id }, 25);
    const migrated = await rawItem(id);

    // Assert
    expect(seqs(before.events)).toEqual(oneTo(40));
    expect(fetched.body.status).toBe('pending');
    expect(approved.body.status).toBe('active');
    expect(seqs(after.events)).toEqual(oneTo(after.events.length));
    expect(after.events.slice(0, 40)).toEqual(trail);
    expect(after.events[40]).toMatchObject({ seq: 41, type: 'approved', comment: 'fine' });
    expect(migrated.record.eventCount).toBe(after.events.length);
    expect(migrated.record.events.every((event: AuditEvent) => event.seq > 40)).toBe(true);
    expect(seqs((await eventItems(id)).map((item) => item.event))).toEqual(oneTo(after.events.length));
  });

  it('loses no event when a write stops before copying its events, and a losing writer writes none', async () => {
    // Arrange: a write whose event items never got written (the process died after the request item)
    const id = randomUUID();
    await store.create(makeAccessRequestRecord({ id }));
    const crashed = await write((await store.get(id))!, 2, 'before the crash');
    for (const seq of [2, 3]) {
      await documents.send(
        new DeleteCommand({ TableName: tableName, Key: { pk: `REQ#${id}`, sk: `EV#${String(seq).padStart(10, '0')}` } }),
      );
    }

    // Act: a new process (a store that never saw those events) reads and writes on
    const restarted = new DynamoAccessRequestStore(new DynamoDBClient({}), tableName);
    const whileCrashed = await readTrail(restarted, id, 2);
    const current = (await restarted.get(id))!;
    const winner = { ...withEvents(current, 1, 'winner'), version: current.version + 1 };
    const loser = { ...withEvents(current, 1, 'loser'), version: current.version + 1 };
    await restarted.replace(winner, current.version);
    const lost = await restarted.replace(loser, current.version).catch((error: unknown) => error);

    // Assert
    expect(crashed.eventCount).toBe(3);
    expect(whileCrashed.map((event) => [event.seq, event.reason ?? null])).toEqual([
      [1, null],
      [2, 'before the crash'],
      [3, 'before the crash'],
    ]);
    expect(lost).toMatchObject({ code: 'CONCURRENT_UPDATE' });
    expect((await eventItems(id)).map((item) => [item.event.seq, item.event.reason ?? null])).toEqual([
      [1, null],
      [2, 'before the crash'],
      [3, 'before the crash'],
      [4, 'winner'],
    ]);
  });

  it(`fits the largest valid request in ${MAX_REQUEST_ITEM_BYTES} bytes, and refuses a larger item with 422 REQUEST_ITEM_TOO_LARGE`, async () => {
    // Arrange: 8 grants at the longest bucket and prefix, the longest justification and ticket, the
    // most approvals any rule may require (10) with the longest comments, and a large final write
    const id = randomUUID();
    const long = (length: number, letter = 'a') => letter.repeat(length);
    const record = makeAccessRequestRecord({
      id,
      requester: { subject: long(256, 's'), email: `${long(240, 'e')}@example.com`, groups: Array(40).fill(long(128, 'g')), source: 'jwt' },
      request: {
        grants: oneTo(8).map((index) => ({
          type: 's3' as const,
          bucket: `${long(61, 'b')}${index}b`,
          prefix: long(MAX_KEY_PREFIX_LENGTH - 1, 'p'),
          level: 'read-write' as const,
        })),
        justification: long(1000, 'j'),
        ticket: long(128, 'T'),
      },
    });
    const approval = { subject: long(256, 'a'), email: `${long(240, 'm')}@example.com`, at: record.createdAt, comment: long(1000, 'c') };
    const approved = {
      ...record,
      approvals: Array(10).fill(approval),
      provisioning: { attempts: 3, lastError: { code: 'IAM_LIMIT_EXCEEDED', message: long(2000, 'x') } },
    };
    await store.create(record);
    const stored = (await store.get(id))!;
    const finalWrite = {
      ...withEvents(
        withEvents({ ...approved, eventCount: stored.eventCount, events: stored.events }, 2, long(2000, 'r')),
        1,
        long(1000, 'q'),
      ),
      version: 2,
    };
    const huge = {
      ...makeAccessRequestRecord({ id: randomUUID() }),
      requester: { ...record.requester, groups: Array(1000).fill(long(128, 'g')) },
    };

    // Act
    await store.replace(finalWrite, 1);
    const largest = itemSizeBytes(await rawItem(id));
    const refusedWrite = await store.create(huge).catch((error: unknown) => error);
    const refusedSubmit = await call('submitAccessRequest', {
      // Distinct names: a token's groups are kept as a set.
      caller: {
        ...people.alice,
        groups: [...people.alice.groups, ...Array.from({ length: 1000 }, (_, i) => `${long(124, 'g')}${i}`.padEnd(128, 'x'))],
      },
      body: paymentsRequest(),
    });

    // Assert: well under half the limit, so the bound is far from any request people can make
    expect(largest).toBeLessThan(MAX_REQUEST_ITEM_BYTES / 2);
    expect(refusedWrite).toMatchObject({ code: 'REQUEST_ITEM_TOO_LARGE', details: { limit: MAX_REQUEST_ITEM_BYTES } });
    expect(await store.get(huge.id)).toBeUndefined();
    expect(refusedSubmit.status).toBe(422);
    expect(refusedSubmit.body.error.code).toBe('REQUEST_ITEM_TOO_LARGE');
  });

  it("reads a workload's history across its requests in time order, a page at a time", async () => {
    // Arrange: two requests for one workload, one approved, and a request for another workload
    const serviceAccount = `exporter-${randomUUID().slice(0, 8)}`;
    const first = (await call('submitAccessRequest', { caller: people.alice, body: paymentsRequest({ serviceAccount }) })).body.id;
    const second = (await call('submitAccessRequest', { caller: people.alice, body: paymentsRequest({ serviceAccount }) })).body.id;
    await call('approveAccessRequest', { caller: people.bob, id: first });
    await call('submitAccessRequest', { caller: people.alice, body: paymentsRequest({ serviceAccount: `${serviceAccount}-other` }) });
    const path = { cluster: 'dev', namespace: 'payments', serviceAccount };

    // Act
    const { events, pages } = await pageAll('getWorkloadEvents', { path }, 2);
    const nextCursor = (await call('getWorkloadEvents', { caller: people.alice, path, query: { limit: '1' } })).body.nextCursor;
    const foreign = await call('getWorkloadEvents', {
      caller: people.alice,
      path: { ...path, serviceAccount: `${serviceAccount}-other` },
      query: { cursor: nextCursor },
    });

    // Assert
    const expected = [
      ...(await readTrail(store, first)).map((event) => ({ ...event, requestId: first })),
      ...(await readTrail(store, second)).map((event) => ({ ...event, requestId: second })),
    ].sort((a, b) => a.at.localeCompare(b.at) || a.requestId.localeCompare(b.requestId) || a.seq - b.seq);
    expect(events).toEqual(expected);
    expect(pages).toBeLessThanOrEqual(Math.ceil(expected.length / 2) + 1);
    expect(foreign.status).toBe(400);
    expect(foreign.body.error.code).toBe('INVALID_CURSOR');
  });
});
