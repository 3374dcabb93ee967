import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createServer, type Socket } from 'node:net';
import { DynamoAccessRequestStore } from '../../src/adapters/aws/dynamoAccessRequestStore';
import { clientBudget, worstCaseCallMs } from '../../src/adapters/clientBudgets';
import { call, paymentsRequest, people, startStore } from '../support/accessRequestApi';

const TABLE = 'irsa-broker-iam-timeout';
const API_TIMEOUT_MS = 10_000;

let store: Awaited<ReturnType<typeof startStore>>;
let stopSilent: () => Promise<void>;
beforeAll(async () => {
  store = await startStore(TABLE);
  // IAM accepts the connection and never says a word.
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  process.env.AWS_ENDPOINT_URL_IAM = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
  stopSilent = () =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      silent.close(() => resolve());
    });
});
afterAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_IAM;
  await Promise.all([store?.stop(), stopSilent?.()]);
});

describe('revoke while IAM accepts connections and never answers', () => {
  it('answers 202 revoking within the route’s 10 s: the revoke is recorded, and the sweep finishes the removal', async () => {
    // Arrange: a grant whose provisioning failed, so that revoking it must ask IAM what is left.
    const submitted = await call('submitAccessRequest', { caller: people.alice, body: paymentsRequest({ serviceAccount: 'iam-silent' }) });
    const requests = new DynamoAccessRequestStore(new DynamoDBClient({}), TABLE);
    const stored = (await requests.get(submitted.body.id))!;
    await requests.replace(
      { ...stored, version: stored.version + 1, status: 'failed', provisioning: { attempts: 1 }, events: [] },
      stored.version,
    );

    // Act
    const started = Date.now();
    const response = await call('revokeAccessRequest', { caller: people.alice, id: submitted.body.id });
    const elapsedMs = Date.now() - started;

    // Assert
    expect([response.status, response.body.status]).toEqual([202, 'revoking']);
    expect(elapsedMs).toBeLessThan(API_TIMEOUT_MS);
    expect(elapsedMs).toBeLessThanOrEqual(worstCaseCallMs(clientBudget()) + 1_000);
    expect((await requests.get(submitted.body.id))!.status).toBe('revoking');
  });
});
