import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { join } from 'node:path';
import { parse } from 'yaml';
import { bearerToken } from '../../support/bearerToken';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const REPO_CONFIG = join(__dirname, '../../../config/broker.yaml');
const ROLE_ARN = 'arn:aws:iam::111122223333:role/irsa-broker/irsa-dev.payments.invoice-exporter';
const context = { functionName: 'createPlan', awsRequestId: 'test', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

const validRequest = {
  cluster: 'dev',
  namespace: 'payments',
  serviceAccount: 'invoice-exporter',
  grants: [
    { type: 's3', bucket: 'acme-invoices', prefix: 'exports/', level: 'read-write' },
    { type: 'managed-policy', arn: 'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess' },
  ],
};

interface EventOptions {
  body?: string;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
  /** Whether the JWT authorizer let a caller through (it always does on the deployed route). */
  identified?: boolean;
}

const token = bearerToken({ sub: 'alice', groups: ['team-payments'] });

/** POST /plans as API Gateway HTTP APIs (payload format 2.0) deliver it. */
function plansEvent({
  body,
  headers = { 'content-type': 'application/json' },
  isBase64Encoded = false,
  identified = true,
}: EventOptions): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /plans',
    rawPath: '/plans',
    rawQueryString: '',
    headers: identified ? { ...headers, authorization: `Bearer ${token.jwt}` } : headers,
    requestContext: {
      ...(identified ? { authorizer: { jwt: { claims: token.flattenedClaims, scopes: [] } } } : {}),
      accountId: '111122223333',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method: 'POST', path: '/plans', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      requestId: 'request-1',
      routeKey: 'POST /plans',
      stage: '$default',
      time: '29/Nov/2026:06:00:00 +0000',
      timeEpoch: 1_795_932_000_000,
    },
    body,
    isBase64Encoded,
  };
}

const jsonEvent = (body: unknown, headers: Record<string, string> = {}) =>
  plansEvent({ body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

describe('createPlan handler', () => {
  let handler: Handler;
  const previousConfig = process.env.IRSA_BROKER_CONFIG;

  let dynamo: { stop: () => Promise<void> };

  beforeAll(async () => {
    // The plan reads the workload from the request store: the embedded DynamoDB (in-process).
    const { startLocalDynamo, LOCAL_CREDENTIALS, LOCAL_REGION } = await import('../../../scripts/localDynamo.mjs');
    const started = await startLocalDynamo({ root: join(__dirname, '../../..'), tableName: 'irsa-broker-plans' });
    dynamo = started;
    Object.assign(process.env, {
      IRSA_BROKER_TABLE: 'irsa-broker-plans',
      AWS_ENDPOINT_URL_DYNAMODB: started.endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      IRSA_BROKER_PROVISION_FUNCTION: 'unused',
      IRSA_BROKER_SLACK_WORKER_FUNCTION: 'unused',
    });
    process.env.IRSA_BROKER_CONFIG = REPO_CONFIG;
    jest.isolateModules(() => {
      handler = (require('../../../src/handlers/createPlan') as { handler: Handler }).handler;
    });
  });

  afterAll(async () => {
    await dynamo?.stop();
    if (previousConfig === undefined) delete process.env.IRSA_BROKER_CONFIG;
    else process.env.IRSA_BROKER_CONFIG = previousConfig;
  });

  async function invoke(event: APIGatewayProxyEventV2) {
    const response = await handler(event, context);
    return { status: response.statusCode, contentType: response.headers?.['content-type'], text: response.body ?? '' };
  }

  async function invokeForError(event: APIGatewayProxyEventV2) {
    const response = await invoke(event);
    return { ...response, body: JSON.parse(response.text) as { error: { code: string; message: string; details?: any } } };
  }

  it('answers 200 with the plan as JSON', async () => {
    // Arrange
    const event = jsonEvent(validRequest);

    // Act
    const response = await invoke(event);

    // Assert
    expect(response.status).toBe(200);
    expect(response.contentType).toBe('application/json');
    const plan = JSON.parse(response.text);
    expect(plan.role.arn).toBe(ROLE_ARN);
    expect(plan.managedPolicyArns).toEqual(['arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess']);
    expect(plan.permissionPolicy.document.Statement[0].Resource).toBe('arn:aws:s3:::acme-invoices/exports/*');
  });

  it('answers only the ServiceAccount manifest, as YAML, to Accept: application/yaml', async () => {
    // Arrange
    const event = jsonEvent(validRequest, { accept: 'application/yaml' });

    // Act
    const response = await invoke(event);

    // Assert
    expect(response.status).toBe(200);
    expect(response.contentType).toBe('application/yaml');
    expect(parse(response.text)).toMatchObject({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'invoice-exporter', namespace: 'payments', annotations: { 'eks.amazonaws.com/role-arn': ROLE_ARN } },
    });
  });

  it('reads a base64-encoded body', async () => {
    // Arrange
    const event = plansEvent({
      body: Buffer.from(JSON.stringify(validRequest), 'utf8').toString('base64'),
      headers: { 'content-type': 'application/json; charset=utf-8' },
      isBase64Encoded: true,
    });

    // Act
    const response = await invoke(event);

    // Assert
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text).role.arn).toBe(ROLE_ARN);
  });

  it('answers 401 UNAUTHENTICATED to a caller without an identity, before reading the body', async () => {
    // Arrange
    const event = plansEvent({ body: JSON.stringify(validRequest), identified: false });

    // Act
    const response = await invokeForError(event);

    // Assert
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('answers 415 UNSUPPORTED_MEDIA_TYPE to a text/plain body', async () => {
    // Arrange
    const event = plansEvent({ body: JSON.stringify(validRequest), headers: { 'content-type': 'text/plain' } });

    // Act
    const response = await invokeForError(event);

    // Assert
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 415 to a body without a content type', async () => {
    // Arrange
    const event = plansEvent({ body: JSON.stringify(validRequest), headers: {} });

    // Act
    const response = await invokeForError(event);

    // Assert
    expect(response.status).toBe(415);
  });

  it('answers 400 MALFORMED_JSON to a body that is not JSON', async () => {
    // Arrange
    const event = plansEvent({ body: '{"cluster": "dev",' });

    // Act
    const response = await invokeForError(event);

    // Assert
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('MALFORMED_JSON');
  });

  it('answers 400 to a request without a body', async () => {
    // Arrange
    const event = plansEvent({});

    // Act
    const response = await invokeForError(event);

    // Assert
    expect(response.status).toBe(400);
  });

  it('answers 422 REQUEST_INVALID with the issues to a request that breaks the schema', async () => {
    // Arrange
    const event = jsonEvent({ ...validRequest, namespace: 'Payments', grants: [{ type: 's3', bucket: 'acme/*', level: 'read' }] });

    // Act
    const response = await invokeForError(event);

    // Assert
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('REQUEST_INVALID');
    expect(response.body.error.details.issues).toEqual([
      { path: 'namespace', message: expect.any(String) },
      { path: 'grants.0.bucket', message: expect.any(String) },
    ]);
  });

  it('answers 422 to a request that breaks a broker rule', async () => {
    // Arrange
    const event = jsonEvent({ ...validRequest, grants: [{ type: 'managed-policy', arn: 'arn:aws:iam::aws:policy/AdministratorAccess' }] });

    // Act
    const response = await invokeForError(event);

    // Assert
    expect(response.status).toBe(422);
    expect(response.body.error.code).toBe('MANAGED_POLICY_NOT_ALLOWED');
  });

  it('answers 404 CLUSTER_NOT_FOUND to a cluster the config does not name', async () => {
    // Arrange
    const event = jsonEvent({ ...validRequest, cluster: 'staging' });

    // Act
    const response = await invokeForError(event);

    // Assert
    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('CLUSTER_NOT_FOUND');
    expect(response.body.error.details).toEqual({ cluster: 'staging', known: ['dev', 'prod'] });
  });

  it('answers 406 NOT_ACCEPTABLE to Accept: text/html', async () => {
    // Arrange
    const event = jsonEvent(validRequest, { accept: 'text/html' });

    // Act
    const response = await invokeForError(event);

    // Assert
    expect(response.status).toBe(406);
    expect(response.body.error.code).toBe('NOT_ACCEPTABLE');
  });

  it.each([
    ['415', plansEvent({ body: '{}', headers: { 'content-type': 'text/plain' } })],
    ['400', plansEvent({ body: 'not json' })],
    ['422', jsonEvent({})],
    ['404', jsonEvent({ ...validRequest, cluster: 'staging' })],
    ['406', jsonEvent(validRequest, { accept: 'text/html' })],
  ])('gives a %s body of the shape {error:{code,message}} as JSON', async (status, event) => {
    // Arrange (the event above)

    // Act
    const response = await invokeForError(event);

    // Assert
    expect(String(response.status)).toBe(status);
    expect(response.contentType).toBe('application/json');
    expect(Object.keys(response.body)).toEqual(['error']);
    expect(response.body.error).toMatchObject({ code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) });
    expect(Object.keys(response.body.error).filter((key) => !['code', 'message', 'details'].includes(key))).toEqual([]);
  });
});
