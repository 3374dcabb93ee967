import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { makeDocsPage } from '../api/docsPage';
import { headerValue } from '../api/headers';
import { staticTextResponse } from '../api/responses';
import { httpErrorResponse } from '../middleware/httpErrorResponse';

const page = staticTextResponse('text/html; charset=utf-8', makeDocsPage('irsa-broker API reference'));

/** GET /docs: the OpenAPI document rendered by Swagger UI, bundled into this function. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(httpErrorResponse())
  .handler(async (event) => page(headerValue(event.headers, 'accept-encoding')));
