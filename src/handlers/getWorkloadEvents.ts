import { jsonResponse } from '../api/responses';
import { getWorkloadEvents } from '../usecases/getWorkloadEvents';
import { accessRequestRoute } from './wiring/accessRequestRoute';

/** GET /workloads/{cluster}/{namespace}/{serviceAccount}/events?limit=&cursor= */
export const handler = accessRequestRoute(async (event, deps) => {
  const page = await getWorkloadEvents(event.pathParameters ?? {}, event.queryStringParameters ?? {}, deps);
  return jsonResponse(200, { events: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
});
