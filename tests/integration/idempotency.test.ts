import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoAccessRequestStore } from '../../src/adapters/aws/dynamoAccessRequestStore';
import { dynamoClient } from '../../src/handlers/wiring/accessRequestDeps';
import { call, paymentsRequest, people, startStore } from '../support/accessRequestApi';

/**
 * Failures injected into the broker's own DynamoDB client, in front of dynalite: the N-th DynamoDB
 * call of a submit fails on every attempt before it leaves (the store never sees it), fails on every
 * attempt after dynalite answered (the store took it, the answer is lost), or loses only the first
 * attempt's answer (the SDK's retry then meets what the first attempt wrote).
 */
type Fault = 'before' | 'after' | 'after-once';

interface Injection {
  /** Logical DynamoDB calls seen since the last reset (retries are attempts of one call). */
  calls: string[];
  fault?: { call: number; mode: Fault };
}

const injection: Injection = { calls: [] };
const CALL_NUMBER = Symbol('call number');
const ATTEMPTS = Symbol('attempts');

/** A connection reset: what a lost answer looks like to the SDK (it retries it, as transient). */
const lostAnswer = () => Object.assign(new Error('socket hang up (injected)'), { name: 'Error', code: 'ECONNRESET' });

function instrument(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      injection.calls.push(context.commandName ?? '?');
      (context as Record<symbol, unknown>)[CALL_NUMBER] = injection.calls.length;
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  // The deserialize step runs once per attempt, inside the SDK's retry loop.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const state = context as Record<symbol, unknown>;
      const attempt = ((state[ATTEMPTS] as number | undefined) ?? 0) + 1;
      state[ATTEMPTS] = attempt;
      const fault = injection.fault;
      if (!fault || fault.call !== state[CALL_NUMBER]) return next(args);
      if (fault.mode === 'before') throw lostAnswer();
      const output = await next(args);
      if (fault.mode === 'after' || attempt === 1) throw lostAnswer();
      return output;
    },
    { step: 'deserialize', name: 'injectFaults' },
  );
}

const TABLE = 'irsa-broker-idempotency';
let store: Awaited<ReturnType<typeof startStore>>;
/** The store as the tests read it: its own client, no failures injected. */
let requests: DynamoAccessRequestStore;
beforeAll(async () => {
  store = await startStore(TABLE);
  instrument(dynamoClient());
  requests = new DynamoAccessRequestStore(new DynamoDBClient({}), TABLE);
});
afterAll(async () => store?.stop());
afterEach(() => {
  injection.fault = undefined;
});

const submit = (serviceAccount: string, key: string) =>
  call('submitAccessRequest', { caller: people.alice, body: paymentsRequest({ serviceAccount }), headers: { 'idempotency-key': key } });

/** The requests stored for one ServiceAccount (the store's byWorkload index). */
async function storedFor(serviceAccount: string): Promise<string[]> {
  const page = await requests.list({ cluster: 'dev', namespace: 'payments', serviceAccount }, { limit: 100 });
  return page.items.map((record) => record.id);
}

describe('Idempotency-Key against dynalite with failures injected at every DynamoDB call of a submit', () => {
  let callsOfOneSubmit: string[] = [];

  beforeAll(async () => {
    injection.calls = [];
    expect((await submit('clean-run', 'clean-run')).status).toBe(201);
    callsOfOneSubmit = [...injection.calls];
  });

  it('knows the calls a submit makes: the lookup of its key, the reads of planning, the request write', () => {
    expect(callsOfOneSubmit[0]).toBe('GetItemCommand');
    expect(callsOfOneSubmit).toContain('PutItemCommand');
  });

  const modes: Fault[] = ['before', 'after', 'after-once'];
  it.each(modes)('leaves exactly one request, returned by the retry, when any one call fails %s reaching the store', async (mode) => {
    for (let index = 1; index <= callsOfOneSubmit.length; index++) {
      // Arrange: a workload and key of its own for each failing call.
      const serviceAccount = `fault-${mode}-${index}`;
      const key = `key-${mode}-${index}`;
      injection.calls = [];
      injection.fault = { call: index, mode };

      // Act: the attempt that meets the failure, then the client's retry with the same key.
      const first = await submit(serviceAccount, key);
      injection.fault = undefined;
      const afterFailure = await storedFor(serviceAccount);
      const retry = await submit(serviceAccount, key);
      const again = await submit(serviceAccount, key);

      // Assert
      const where = `${mode} ${callsOfOneSubmit[index - 1]} (call ${index}): first answer ${first.status}`;
      expect([where, [201, 503].includes(first.status)]).toEqual([where, true]);
      if (first.status === 503) expect(Number(first.headers['retry-after'])).toBeGreaterThan(0);
      expect([where, afterFailure.length <= 1]).toEqual([where, true]);
      expect([where, retry.status, again.status]).toEqual([where, 201, 201]);
      expect([where, await storedFor(serviceAccount)]).toEqual([where, [retry.body.id]]);
      expect(again.body.id).toBe(retry.body.id);
      if (first.status === 201) expect([where, first.body.id]).toEqual([where, retry.body.id]);
    }
  });

  it('files one request for ten concurrent submits with the same key, and answers each with it', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => submit('burst', 'burst-key')));
    expect(answers.map((answer) => answer.status)).toEqual(Array(10).fill(201));
    expect(new Set(answers.map((answer) => answer.body.id)).size).toBe(1);
    expect(await storedFor('burst')).toEqual([answers[0]!.body.id]);
  });

  it("keeps another caller's same key another request, and the same key with another body a 409", async () => {
    const mine = await submit('shared-key', 'same-key');
    const theirs = await call('submitAccessRequest', {
      caller: people.carol,
      body: paymentsRequest({ serviceAccount: 'shared-key' }),
      headers: { 'idempotency-key': 'same-key' },
    });
    const reused = await call('submitAccessRequest', {
      caller: people.alice,
      body: paymentsRequest({ serviceAccount: 'shared-key', justification: 'another body' }),
      headers: { 'idempotency-key': 'same-key' },
    });
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await storedFor('shared-key')).sort()).toEqual([mine.body.id, theirs.body.id].sort());
  });
});
