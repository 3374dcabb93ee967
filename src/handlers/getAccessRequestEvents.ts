import { jsonResponse } from '../api/responses';
import { getAccessRequestEvents } from '../usecases/getAccessRequest';
import { accessRequestRoute, requestIdParameter } from './wiring/accessRequestRoute';

/** GET /access-requests/{id}/events?limit=&cursor= */
export const handler = accessRequestRoute(async (event, deps) => {
  const page = await getAccessRequestEvents(requestIdParameter(event), event.queryStringParameters ?? {}, deps);
  return jsonResponse(200, { events: page.items, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
});
