import { IAMClient } from '@aws-sdk/client-iam';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { EksTokenSource } from '../../src/adapters/aws/eksTokenSource';
import { SdkIamGateway } from '../../src/adapters/aws/iamGateway';
import { clientBudget, clientOptions, worstCaseCallMs } from '../../src/adapters/clientBudgets';
import { KubernetesServiceAccountApplier } from '../../src/adapters/k8s/kubernetesServiceAccountApplier';
import { DependencyUnavailableError } from '../../src/domain/errors';
import { call, paymentsRequest, people, projectRoot } from '../support/accessRequestApi';

/** A dependency that accepts the connection and never says a word: the worst way to fail. */
async function startSilentServer(): Promise<{ endpoint: string; port: number; stop: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const API_TIMEOUT_MS = 10_000;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

let silent: Awaited<ReturnType<typeof startSilentServer>>;
beforeAll(async () => {
  silent = await startSilentServer();
  // The broker's DynamoDB is the silent server: no store ever answers in this file.
  Object.assign(process.env, {
    IRSA_BROKER_TABLE: 'irsa-broker-silent',
    IRSA_BROKER_CONFIG: join(projectRoot, 'config/broker.yaml'),
    AWS_ENDPOINT_URL_DYNAMODB: silent.endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    IRSA_BROKER_PROVISION_FUNCTION: 'irsa-broker-test-provisionGrant',
  });
});
afterAll(async () => silent?.stop());

async function timed<Value>(act: () => Promise<Value>): Promise<{ value: Value; elapsedMs: number }> {
  const started = Date.now();
  const value = await act();
  return { value, elapsedMs: Date.now() - started };
}

describe('a DynamoDB that accepts connections and never answers', () => {
  it.each([
    ['getAccessRequest', { caller: people.alice, id: '00000000-0000-4000-8000-000000000001' }],
    ['listAccessRequests', { caller: people.bob, query: { namespace: 'payments' } }],
    ['submitAccessRequest', { caller: people.alice, body: paymentsRequest(), headers: { 'idempotency-key': 'silent-1' } }],
  ])('makes %s answer 503 with Retry-After within the route’s 10 s', async (handler, options) => {
    // Act
    const { value: response, elapsedMs } = await timed(() => call(handler, options));

    // Assert
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('STORE_UNAVAILABLE');
    expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
    expect(elapsedMs).toBeLessThan(API_TIMEOUT_MS);
    expect(elapsedMs).toBeLessThanOrEqual(worstCaseCallMs(clientBudget()) + 1_000);
  });
});

describe('an IAM that accepts connections and never answers', () => {
  it('fails the call as retryable within the budget, not after the function’s timeout', async () => {
    // Arrange: the client exactly as the wiring builds it, pointed at the silent server.
    const gateway = new SdkIamGateway(
      new IAMClient({ region: 'us-east-1', endpoint: silent.endpoint, credentials, retryMode: 'adaptive', ...clientOptions() }),
    );

    // Act
    const { value: error, elapsedMs } = await timed(() =>
      gateway.findRole('irsa-dev.payments.x').then(
        () => undefined,
        (caught) => caught,
      ),
    );

    // Assert
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ code: 'IAM_TIMEOUT_ERROR', details: { operation: 'GetRole', awsError: 'TimeoutError' } });
    expect(elapsedMs).toBeLessThanOrEqual(worstCaseCallMs(clientBudget()) + 1_000);
  });
});

describe('a Kubernetes API server that accepts connections and never answers', () => {
  it('fails the apply as K8S_UNREACHABLE (retryable) after the per-request timeout', async () => {
    // Arrange: TLS never starts, as with an API server that stopped answering.
    const applier = new KubernetesServiceAccountApplier(new EksTokenSource(async () => credentials));
    const cluster = {
      name: 'dev',
      endpoint: `https://127.0.0.1:${silent.port}`,
      certificateAuthorityData: '',
      region: 'eu-west-1',
      partition: 'aws' as const,
    };
    const manifest = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'x', namespace: 'payments' } };

    // Act
    const { value: error, elapsedMs } = await timed(() =>
      applier.apply(cluster, manifest, { ownerIds: ['r'], adopt: false, createNamespace: false }).then(
        () => undefined,
        (caught) => caught,
      ),
    );

    // Assert
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ code: 'K8S_UNREACHABLE' });
    expect(elapsedMs).toBeGreaterThanOrEqual(clientBudget().requestTimeoutMs - 100);
    expect(elapsedMs).toBeLessThan(clientBudget().requestTimeoutMs + 2_000);
  });
});
