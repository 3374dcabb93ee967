import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type { ErrorResponse } from '../api/errorResponse';
import { jsonResponse } from '../api/responses';
import { BrokerError, DependencyUnavailableError, ErrorKind } from '../domain/errors';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  [ErrorKind.BadRequest]: 400,
  [ErrorKind.Unauthenticated]: 401,
  [ErrorKind.Forbidden]: 403,
  [ErrorKind.NotFound]: 404,
  [ErrorKind.NotAcceptable]: 406,
  [ErrorKind.Conflict]: 409,
  [ErrorKind.UnsupportedMediaType]: 415,
  [ErrorKind.Invalid]: 422,
  // Only a dependency that did not answer is worth retrying; it says when (Retry-After).
  [ErrorKind.Unavailable]: 503,
  // The broker's own set-up is refused (its permissions, a spoke's trust): no retry helps, and no change to the request.
  [ErrorKind.DependencyRefused]: 502,
};

/**
 * Maps any error to the documented error body; 5xx bodies say nothing internal. A retryable failure
 * also says when to retry (`retryAfterSeconds`, sent as Retry-After).
 */
export function toErrorResponse(error: unknown): { statusCode: number; body: ErrorResponse; retryAfterSeconds?: number } {
  if (error instanceof BrokerError) {
    const body: ErrorResponse = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    const retryAfterSeconds = error instanceof DependencyUnavailableError ? error.retryAfterSeconds : undefined;
    return { statusCode: STATUS_BY_KIND[error.kind], body, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
  }
  return { statusCode: 500, body: { error: { code: 'INTERNAL_ERROR', message: 'internal error; see the broker logs' } } };
}

/** The single place where errors become HTTP responses (use it first so its onError runs last). */
export function httpErrorResponse(
  log: (entry: Record<string, unknown>) => void = (entry) => console.error(JSON.stringify(entry)),
): MiddlewareObj<unknown, APIGatewayProxyResultV2> {
  const onError = (request: Request<unknown, APIGatewayProxyResultV2>): void => {
    const { statusCode, body, retryAfterSeconds } = toErrorResponse(request.error);
    if (statusCode >= 500) {
      const error = request.error;
      log({
        level: 'ERROR',
        message: 'request failed',
        error:
          error instanceof Error
            ? { name: error.name, message: error.message, stack: error.stack, cause: String(error.cause ?? '') }
            : String(error),
      });
    }
    const response = jsonResponse(statusCode, body);
    request.response =
      retryAfterSeconds === undefined
        ? response
        : { ...response, headers: { ...response.headers, 'retry-after': String(retryAfterSeconds) } };
  };
  return { onError };
}
