import type { Request } from '@middy/core';
import type { APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  ConflictError,
  DependencyRefusedError,
  DependencyUnavailableError,
  MalformedRequestError,
  ValidationError,
} from '../../../src/domain/errors';
import { httpErrorResponse } from '../../../src/middleware/httpErrorResponse';

function answer(error: unknown): APIGatewayProxyStructuredResultV2 {
  const request = { error } as unknown as Request<unknown, APIGatewayProxyResultV2>;
  void httpErrorResponse(() => undefined).onError!(request);
  return request.response as APIGatewayProxyStructuredResultV2;
}

describe('httpErrorResponse', () => {
  it('answers a dependency that did not answer with 503 and Retry-After in seconds', () => {
    const response = answer(
      new DependencyUnavailableError('STORE_UNAVAILABLE', 'the request store could not be read', { retryAfterSeconds: 5 }),
    );
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '5', 'content-type': 'application/json' });
  });

  it('gives every 503 a Retry-After, by default two seconds', () => {
    expect(answer(new DependencyUnavailableError('K8S_UNREACHABLE', 'no answer')).headers?.['retry-after']).toBe('2');
  });

  it.each([
    [new DependencyRefusedError('IAM_ACCESS_DENIED', 'denied', { details: { awsError: 'AccessDenied' } }), 502],
    [new ValidationError('IAM_MALFORMED_POLICY_DOCUMENT', 'bad document'), 422],
    [new MalformedRequestError('INVALID_CURSOR', 'forged'), 400],
    [new ConflictError('IDEMPOTENCY_KEY_REUSED', 'other body'), 409],
  ])('answers the deterministic %p with %i and no Retry-After', (error, status) => {
    const response = answer(error);
    expect(response.statusCode).toBe(status);
    expect(response.headers?.['retry-after']).toBeUndefined();
  });

  it('keeps the dependency’s code in details', () => {
    const body = JSON.parse(
      String(answer(new DependencyRefusedError('IAM_ACCESS_DENIED', 'denied', { details: { awsError: 'AccessDenied' } })).body),
    );
    expect(body).toEqual({ error: { code: 'IAM_ACCESS_DENIED', message: 'denied', details: { awsError: 'AccessDenied' } } });
  });
});
