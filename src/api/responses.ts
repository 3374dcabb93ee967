import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { gzipSync } from 'node:zlib';

export const MediaType = { Json: 'application/json', Yaml: 'application/yaml' } as const;
export type MediaType = (typeof MediaType)[keyof typeof MediaType];

/** A JSON response. */
export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': MediaType.Json }, body: JSON.stringify(body) };
}

/** A YAML response. */
export function yamlResponse(statusCode: number, text: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': MediaType.Yaml }, body: text };
}

/**
 * A large, unchanging text body, sent gzipped to clients that accept it (API Gateway passes a
 * base64 body through as bytes and compresses nothing itself). Compressed once, on first use.
 */
export function staticTextResponse(
  contentType: string,
  text: string,
): (acceptEncoding: string | undefined) => APIGatewayProxyStructuredResultV2 {
  let gzipped: string | undefined;
  return (acceptEncoding) => {
    const headers = { 'content-type': contentType, vary: 'accept-encoding', 'cache-control': 'public, max-age=300' };
    if (!/(^|[\s,])gzip\b/i.test(acceptEncoding ?? '')) return { statusCode: 200, headers, body: text };
    gzipped ??= gzipSync(text).toString('base64');
    return { statusCode: 200, headers: { ...headers, 'content-encoding': 'gzip' }, body: gzipped, isBase64Encoded: true };
  };
}
