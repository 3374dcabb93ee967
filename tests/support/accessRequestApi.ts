import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalDynamo } from '../../scripts/localDynamo.mjs';
import { bearerToken, type Caller } from './bearerToken';
import { startLambdaStandIn, type LambdaStandIn } from './lambdaStandIn';

export const projectRoot = join(__dirname, '../..');

export type { Caller };

export const people = {
  alice: { sub: 'alice', email: 'alice@example.com', groups: ['team-payments'] },
  carol: { sub: 'carol', email: 'carol@example.com', groups: ['team-payments', 'payments-leads'] },
  // No email: nothing joins bob to a person, which is fine for an approver who could not have asked.
  bob: { sub: 'bob', groups: ['payments-leads'] },
  dave: { sub: 'dave', email: 'dave@example.com', groups: ['platform-admins'] },
  erin: { sub: 'erin', email: 'erin@example.com', groups: ['security'] },
  mallory: { sub: 'mallory', groups: ['team-marketing'] },
} satisfies Record<string, Caller>;

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** Function names the handlers hand work to, and the handler module each one runs. */
export const ASYNC_FUNCTIONS = {
  provision: { variable: 'IRSA_BROKER_PROVISION_FUNCTION', name: 'irsa-broker-test-provisionGrant', module: 'provisionGrant' },
  slackWorker: { variable: 'IRSA_BROKER_SLACK_WORKER_FUNCTION', name: 'irsa-broker-test-slackWorker', module: 'slackWorker' },
} as const;

let lambda: LambdaStandIn | undefined;

/**
 * The embedded DynamoDB with the table, a stand-in of Lambda's Invoke API for the work handlers hand
 * over (the real LambdaAsyncQueue sends it the real SDK's bytes; the real handler parses them), and
 * the environment handlers read.
 */
export async function startStore(tableName = 'irsa-broker-test') {
  const [dynamo, standIn] = await Promise.all([
    startLocalDynamo({ root: projectRoot, tableName }),
    startLambdaStandIn(
      Object.fromEntries(Object.values(ASYNC_FUNCTIONS).map((fn) => [fn.name, fn.module])),
      (path) => require(path),
      projectRoot,
    ),
  ]);
  lambda = standIn;
  Object.assign(process.env, {
    IRSA_BROKER_TABLE: tableName,
    IRSA_BROKER_CONFIG: join(projectRoot, 'config/broker.yaml'),
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_LAMBDA: standIn.endpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    ...Object.fromEntries(Object.values(ASYNC_FUNCTIONS).map((fn) => [fn.variable, fn.name])),
  });
  return {
    ...dynamo,
    lambda: standIn,
    stop: async () => {
      await Promise.all([dynamo.stop(), standIn.stop()]);
      lambda = undefined;
    },
  };
}

/** Waits for the work the handlers called so far handed over (through the Lambda stand-in). */
export async function settleJobs(): Promise<void> {
  await lambda?.settle();
}

const context = { functionName: 'test', getRemainingTimeInMillis: () => 10_000, awsRequestId: 'test' } as unknown as Context;

export interface CallOptions {
  caller?: Caller;
  body?: unknown;
  id?: string;
  /** Path parameters other than `id`. */
  path?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

/** Invokes a real handler module (real middy stack, real DynamoDB client) with an HTTP API event. */
export async function call(
  handlerName: string,
  options: CallOptions = {},
): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  const { handler } = require(join(projectRoot, 'src/handlers', handlerName)) as { handler: Handler };
  const token = options.caller && bearerToken(options.caller);
  const event = {
    version: '2.0',
    routeKey: handlerName,
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token.jwt}` } : {}), ...options.headers },
    queryStringParameters: options.query,
    pathParameters: options.id || options.path ? { ...options.path, ...(options.id ? { id: options.id } : {}) } : undefined,
    requestContext: { http: { method: 'POST' }, authorizer: token ? { jwt: { claims: token.flattenedClaims, scopes: [] } } : undefined },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
  const response = await handler(event, context);
  const contentType = String(response.headers?.['content-type'] ?? '');
  return {
    status: response.statusCode ?? 0,
    headers: response.headers ?? {},
    body: contentType.includes('json') && response.body ? JSON.parse(response.body) : response.body,
  };
}

export function paymentsRequest(overrides: Record<string, unknown> = {}) {
  return {
    cluster: 'dev',
    namespace: 'payments',
    serviceAccount: 'invoice-exporter',
    grants: [{ type: 's3', bucket: 'acme-invoices', prefix: 'exports/', level: 'read-write' }],
    justification: 'nightly export',
    ...overrides,
  };
}
