import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { headerValue } from '../api/headers';
import { MalformedRequestError, UnsupportedMediaTypeError } from '../domain/errors';

/** An HTTP API event whose body this middleware has parsed as JSON. */
export type JsonEvent = Omit<APIGatewayProxyEventV2, 'body'> & { body: unknown };

const JSON_MEDIA_TYPE = /^application\/([\w.+-]+\+)?json$/i;

/**
 * Requires a JSON content type (415 otherwise) and parses the body (400 when malformed). With
 * `optional`, a request without a body is read as `{}` (for actions whose body holds only a comment).
 */
export function jsonBody({ optional = false } = {}): MiddlewareObj<JsonEvent> {
  const before = (request: Request<JsonEvent>): void => {
    const event = request.event as unknown as APIGatewayProxyEventV2;
    if (optional && !event.body) {
      request.event.body = {};
      return;
    }
    const contentType = headerValue(event.headers, 'content-type')?.split(';')[0]?.trim() ?? '';
    if (!JSON_MEDIA_TYPE.test(contentType)) {
      throw new UnsupportedMediaTypeError(`send the body as application/json, not ${contentType || 'no content type'}`);
    }
    const text = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? '');
    try {
      request.event.body = JSON.parse(text);
    } catch (error) {
      throw new MalformedRequestError('MALFORMED_JSON', `the body is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  };
  return { before };
}
