import * as z from 'zod';
import { AccessRequestSchema } from '../domain/accessRequest';
import { GrantPlanSchema } from '../domain/grantPlan';
import { ErrorResponseSchema } from './errorResponse';

const componentRef = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function errorResponse(description: string) {
  return { description, content: { 'application/json': { schema: componentRef('ErrorResponse') } } };
}

/**
 * JSON Schemas of every schema that carries an `id`, generated from the same zod schemas that
 * validate requests, so the document cannot drift from the code.
 */
function componentSchemas(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const schema of [AccessRequestSchema, GrantPlanSchema, ErrorResponseSchema]) {
    registry.add(schema, { id: z.globalRegistry.get(schema)?.id as string });
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as Record<string, unknown>;
      return [id, rest];
    }),
  );
}

/** The broker's OpenAPI 3.1 document. */
export function makeOpenApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'irsa-broker',
      version,
      description: 'Self-service IAM roles for EKS workloads (IRSA): plan, request, approve, provision and deliver.',
    },
    paths: {
      '/plans': {
        post: {
          operationId: 'createPlan',
          summary: 'Dry run: everything the broker would create for an access request, creating nothing.',
          requestBody: { required: true, content: { 'application/json': { schema: componentRef('AccessRequest') } } },
          responses: {
            '200': {
              description: 'The plan. With `Accept: application/yaml`, only the ServiceAccount manifest.',
              content: {
                'application/json': { schema: componentRef('GrantPlan') },
                'application/yaml': { schema: { type: 'string' } },
              },
            },
            '400': errorResponse('The body is not valid JSON.'),
            '404': errorResponse('The cluster is not configured.'),
            '406': errorResponse('The Accept header names no media type the route offers.'),
            '415': errorResponse('The body is not application/json.'),
            '422': errorResponse('The request breaks the schema, a broker rule or an IAM limit.'),
            '503': errorResponse('A dependency (EKS) could not be reached.'),
          },
        },
      },
      '/openapi.json': {
        get: { operationId: 'getOpenApi', summary: 'This document.', responses: { '200': { description: 'OpenAPI 3.1 document.' } } },
      },
      '/healthz': {
        get: { operationId: 'getHealth', summary: 'Liveness.', responses: { '200': { description: 'The API is up.' } } },
      },
    },
    components: { schemas: componentSchemas() },
  };
}
