import middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { makeOpenApiDocument } from '../api/openApiDocument';
import { jsonResponse } from '../api/responses';
import { httpErrorResponse } from '../middleware/httpErrorResponse';

const document = makeOpenApiDocument(process.env.IRSA_BROKER_VERSION ?? '0.1.0');

/** GET /openapi.json */
export const handler = middy<unknown, APIGatewayProxyResultV2>()
  .use(httpErrorResponse())
  .handler(async () => jsonResponse(200, document));
