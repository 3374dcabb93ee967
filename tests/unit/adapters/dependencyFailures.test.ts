import { IAMServiceException, LimitExceededException, MalformedPolicyDocumentException } from '@aws-sdk/client-iam';
import { ApiException } from '@kubernetes/client-node';
import { classifyAwsError, classifyHttpStatus, FailureClass, translateAwsError } from '../../../src/adapters/dependencyFailures';
import { storeFailure } from '../../../src/adapters/aws/dynamoFailures';
import { decodeCursor, encodeCursor } from '../../../src/adapters/aws/dynamoCursor';
import { translate } from '../../../src/adapters/k8s/kubernetesServiceAccountApplier';
import { DependencyRefusedError, DependencyUnavailableError, isRetryable } from '../../../src/domain/errors';
import { toErrorResponse } from '../../../src/middleware/httpErrorResponse';
import { errorOf } from '../../support/errorOf';

const rejectionOf = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
const metadata = (httpStatusCode: number) => ({ httpStatusCode, attempts: 1, totalRetryDelay: 0 });
const iamError = (name: string, status: number) =>
  new IAMServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: metadata(status), message: `${name} happened` });
const iam = (error: unknown) =>
  translateAwsError(error, {
    code: 'IAM_TEST',
    message: 'IAM CreateRole failed',
    refused: 'request',
    details: { operation: 'CreateRole' },
  });

describe('classifyAwsError', () => {
  it('reads throttling as retryable, with a longer Retry-After', () => {
    expect(classifyAwsError(iamError('Throttling', 400))).toMatchObject({ class: FailureClass.Retryable, retryAfterSeconds: 5 });
  });

  it('reads 5xx answers, timeouts and connection failures as retryable', () => {
    const timeout = Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    for (const error of [iamError('ServiceFailure', 500), timeout, refused]) {
      expect(classifyAwsError(error).class).toBe(FailureClass.Retryable);
    }
  });

  it('reads 401 and 403 as the broker being denied, other client faults as refusals', () => {
    expect(classifyAwsError(iamError('AccessDenied', 403)).class).toBe(FailureClass.Denied);
    expect(classifyAwsError(iamError('InvalidInput', 400)).class).toBe(FailureClass.Refused);
  });

  it('lets a service say that a name the SDK lists as throttling is a quota', () => {
    const quota = new LimitExceededException({ message: 'Cannot exceed quota for PoliciesPerRole: 10', $metadata: metadata(409) });
    expect(classifyAwsError(quota).class).toBe(FailureClass.Retryable);
    expect(classifyAwsError(quota, { deterministic: ['LimitExceededException'] }).class).toBe(FailureClass.Refused);
  });
});

describe('translateAwsError', () => {
  it('makes AccessDenied a 502 that is not retryable, with the AWS code in details.awsError', () => {
    const error = iam(iamError('AccessDenied', 403));
    expect(error).toBeInstanceOf(DependencyRefusedError);
    expect(isRetryable(error)).toBe(false);
    const { statusCode, body, retryAfterSeconds } = toErrorResponse(error);
    expect(statusCode).toBe(502);
    expect(retryAfterSeconds).toBeUndefined();
    expect(body.error.details).toEqual({ operation: 'CreateRole', awsError: 'AccessDenied' });
  });

  it('makes throttling a 503 with Retry-After, keeping the original as cause', () => {
    const original = iamError('Throttling', 400);
    const error = iam(original);
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect(error.cause).toBe(original);
    expect(toErrorResponse(error)).toMatchObject({
      statusCode: 503,
      retryAfterSeconds: 5,
      body: { error: { details: { awsError: 'Throttling' } } },
    });
  });

  it('makes a document IAM refuses a 422 naming the AWS error', () => {
    const error = iam(new MalformedPolicyDocumentException({ message: 'Syntax errors in policy.', $metadata: metadata(400) }));
    expect(toErrorResponse(error)).toMatchObject({
      statusCode: 422,
      body: { error: { details: { awsError: 'MalformedPolicyDocumentException' } } },
    });
  });
});

describe('the IAM gateway', () => {
  it('answers an exceeded quota with 422 IAM_LIMIT_EXCEEDED, not a retry', async () => {
    const { SdkIamGateway } = await import('../../../src/adapters/aws/iamGateway');
    const quota = new LimitExceededException({ message: 'Cannot exceed quota for PoliciesPerRole: 10', $metadata: metadata(409) });
    const gateway = new SdkIamGateway({ send: () => Promise.reject(quota) } as never);
    const error = await rejectionOf(gateway.attachPolicy('role', 'arn:aws:iam::111122223333:policy/p'));
    expect(error).toMatchObject({
      code: 'IAM_LIMIT_EXCEEDED',
      details: { operation: 'AttachRolePolicy', awsError: 'LimitExceededException' },
    });
    expect(toErrorResponse(error).statusCode).toBe(422);
  });

  it('keeps ConcurrentModification retryable', async () => {
    const { SdkIamGateway } = await import('../../../src/adapters/aws/iamGateway');
    const gateway = new SdkIamGateway({ send: () => Promise.reject(iamError('ConcurrentModification', 409)) } as never);
    const error = await rejectionOf(gateway.updateTrustPolicy('role', { Version: '2012-10-17', Statement: [] }));
    expect(toErrorResponse(error)).toMatchObject({ statusCode: 503, body: { error: { code: 'IAM_CONCURRENT_MODIFICATION' } } });
  });
});

describe('storeFailure', () => {
  it('makes an item over DynamoDB’s limit a stable 422', () => {
    const tooLarge = Object.assign(new Error('Item size has exceeded the maximum allowed size'), {
      name: 'ValidationException',
      $fault: 'client',
      $metadata: metadata(400),
    });
    expect(toErrorResponse(storeFailure(tooLarge, 'the request store could not be written'))).toMatchObject({
      statusCode: 422,
      body: { error: { code: 'STORE_ITEM_TOO_LARGE', details: { awsError: 'ValidationException' } } },
    });
  });

  it('makes a throttled or hanging table STORE_UNAVAILABLE, a 503 with Retry-After', () => {
    const throttled = Object.assign(new Error('slow down'), {
      name: 'ProvisionedThroughputExceededException',
      $fault: 'client',
      $metadata: metadata(400),
    });
    const hanging = Object.assign(new Error('request timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' });
    for (const error of [throttled, hanging]) {
      expect(toErrorResponse(storeFailure(error, 'read'))).toMatchObject({
        statusCode: 503,
        body: { error: { code: 'STORE_UNAVAILABLE' } },
      });
      expect(toErrorResponse(storeFailure(error, 'read')).retryAfterSeconds).toBeGreaterThan(0);
    }
  });

  it('makes a table the broker may not use a 502 naming the AWS error', () => {
    const denied = Object.assign(new Error('not authorized'), {
      name: 'AccessDeniedException',
      $fault: 'client',
      $metadata: metadata(400),
    });
    const missing = Object.assign(new Error('no table'), { name: 'ResourceNotFoundException', $fault: 'client', $metadata: metadata(400) });
    expect(toErrorResponse(storeFailure(denied, 'read'))).toMatchObject({
      statusCode: 502,
      body: { error: { code: 'STORE_ACCESS_DENIED' } },
    });
    expect(toErrorResponse(storeFailure(missing, 'read'))).toMatchObject({
      statusCode: 502,
      body: { error: { code: 'STORE_RESOURCE_NOT_FOUND' } },
    });
  });
});

describe('a forged cursor', () => {
  const shape = { names: ['pk', 'sk', 'entity', 'createdKey'], fixed: { entity: 'access-request' } };

  it('is a 400 INVALID_CURSOR when its key is not the index’s', () => {
    const forged = encodeCursor({ index: 'byCreated', filter: '[]', key: { pk: 'REQ#x', sk: 'REQ', entity: 'workload', createdKey: 'x' } });
    const extra = encodeCursor({
      index: 'byCreated',
      filter: '[]',
      key: { pk: 'a', sk: 'b', entity: 'access-request', createdKey: 'c', x: 1 },
    });
    for (const cursor of [forged, extra, 'not-a-cursor']) {
      const error = errorOf(() => decodeCursor(cursor, 'byCreated', '[]', shape));
      expect(toErrorResponse(error)).toMatchObject({ statusCode: 400, body: { error: { code: 'INVALID_CURSOR' } } });
    }
  });

  it('passes when it is one the API issued', () => {
    const key = { pk: 'REQ#x', sk: 'REQ', entity: 'access-request', createdKey: '2026-01-01#x' };
    expect(decodeCursor(encodeCursor({ index: 'byCreated', filter: '[]', key }), 'byCreated', '[]', shape)).toEqual(key);
  });
});

describe('Kubernetes failures', () => {
  const cluster = {
    name: 'dev',
    endpoint: 'https://k8s.example',
    certificateAuthorityData: '',
    region: 'eu-west-1',
    partition: 'aws',
  } as never;
  const apiError = (code: number, headers: Record<string, string> = {}) =>
    new ApiException(code, `HTTP ${code}`, JSON.stringify({ message: `status ${code}` }), headers);
  const statusOf = (error: unknown) => toErrorResponse(errorOf(() => translate(error, cluster, 'apply ServiceAccount payments/x')));

  it('reads 5xx, 408 and 429 as retryable, honouring the server’s Retry-After', () => {
    expect(statusOf(apiError(503))).toMatchObject({
      statusCode: 503,
      body: { error: { code: 'K8S_REQUEST_FAILED', details: { status: 503 } } },
    });
    expect(statusOf(apiError(429, { 'retry-after': '7' }))).toMatchObject({ statusCode: 503, retryAfterSeconds: 7 });
    expect(statusOf(apiError(408)).statusCode).toBe(503);
  });

  it('reads 401 and 403 as the broker’s set-up (502) and other 4xx as refusals of what was sent (422)', () => {
    expect(statusOf(apiError(401))).toMatchObject({ statusCode: 502, body: { error: { code: 'K8S_UNAUTHORIZED' } } });
    expect(statusOf(apiError(403))).toMatchObject({
      statusCode: 502,
      body: { error: { code: 'K8S_FORBIDDEN', details: { status: 403 } } },
    });
    expect(statusOf(apiError(422))).toMatchObject({ statusCode: 422, body: { error: { code: 'K8S_REQUEST_REFUSED' } } });
  });

  it('reads a request that never reached the server as retryable', () => {
    expect(statusOf(new TypeError('fetch failed'))).toMatchObject({ statusCode: 503, body: { error: { code: 'K8S_UNREACHABLE' } } });
  });
});

describe('classifyHttpStatus', () => {
  it('caps a dependency’s Retry-After at a minute', () => {
    expect(classifyHttpStatus(503, 'busy', '3600').retryAfterSeconds).toBe(60);
  });
});
