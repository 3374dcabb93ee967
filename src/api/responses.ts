import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

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
