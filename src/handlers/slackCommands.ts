import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { jsonResponse } from '../api/responses';
import { httpErrorResponse } from '../middleware/httpErrorResponse';
import { acceptSlashCommand } from '../usecases/slackRequests';
import { rawBody, RETRY_ACKNOWLEDGED, slackIntakeDeps, verifySlackEvent } from './wiring/slackDeps';

/** POST /slack/commands: the `/irsa` slash command (signed by Slack; answered within 3 seconds). */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
  .use(httpErrorResponse())
  .handler(async (event) => {
    const body = rawBody(event);
    if ((await verifySlackEvent(event, body)) === 'retry') return RETRY_ACKNOWLEDGED;
    const ack = await acceptSlashCommand(Object.fromEntries(new URLSearchParams(body)), slackIntakeDeps());
    return ack ? jsonResponse(200, ack) : { statusCode: 200, body: '' };
  });
