import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { jsonResponse } from '../api/responses';

/** GET /healthz: no middleware and no dependencies, so it answers whatever else is broken. */
export const handler = async (): Promise<APIGatewayProxyResultV2> => jsonResponse(200, { status: 'ok' });
