import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { jsonResponse } from '../api/responses';
import { httpErrorResponse } from '../middleware/httpErrorResponse';
import { acceptInteraction } from '../usecases/slackRequests';
import { rawBody, RETRY_ACKNOWLEDGED, slackIntakeDeps, verifySlackEvent } from './wiring/slackDeps';

/** POST /slack/interactions: Approve / Reject buttons and the request form (signed by Slack). */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(httpErrorResponse())
  .handler(async (event) => {
    const body = rawBody(event);
    if ((await verifySlackEvent(event, body)) === 'retry') return RETRY_ACKNOWLEDGED;
    const ack = await acceptInteraction(new URLSearchParams(body).get('payload'), slackIntakeDeps());
    return ack ? jsonResponse(200, ack) : { statusCode: 200, body: '' };
  });
