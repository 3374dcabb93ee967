import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type { ErrorResponse } from '../api/errorResponse';
import { jsonResponse } from '../api/responses';
import { BrokerError, ErrorKind } from '../domain/errors';

const STATUS_BY_KIND: Record<ErrorKind, number> = {
  [ErrorKind.BadRequest]: 400,
  [ErrorKind.Unauthenticated]: 401,
  [ErrorKind.Forbidden]: 403,
  [ErrorKind.NotFound]: 404,
  [ErrorKind.NotAcceptable]: 406,
  [ErrorKind.Conflict]: 409,
  [ErrorKind.UnsupportedMediaType]: 415,
  [ErrorKind.Invalid]: 422,
  [ErrorKind.Unavailable]: 503,
};

/** Maps any error to the documented error body; 5xx bodies say nothing internal. */
export function toErrorResponse(error: unknown): { statusCode: number; body: ErrorResponse } {
  if (error instanceof BrokerError) {
    const body: ErrorResponse = { error: { code: error.code, message: error.message } };
    if (error.details !== undefined) body.error.details = error.details;
    return { statusCode: STATUS_BY_KIND[error.kind], body };
  }
  return { statusCode: 500, body: { error: { code: 'INTERNAL_ERROR', message: 'internal error; see the broker logs' } } };
}

/** The single place where errors become HTTP responses (use it first so its onError runs last). */
export function httpErrorResponse(
  log: (entry: Record<string, unknown>) => void = (entry) => console.error(JSON.stringify(entry)),
): MiddlewareObj<unknown, APIGatewayProxyResultV2> {
  const onError = (request: Request<unknown, APIGatewayProxyResultV2>): void => {
    const { statusCode, body } = toErrorResponse(request.error);
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
    request.response = jsonResponse(statusCode, body);
  };
  return { onError };
}
