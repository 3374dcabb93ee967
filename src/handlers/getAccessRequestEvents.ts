import { toEventViews } from '../api/accessRequestView';
import { jsonResponse } from '../api/responses';
import { getAccessRequestEvents } from '../usecases/getAccessRequest';
import { accessRequestRoute, requestIdParameter } from './wiring/accessRequestRoute';

/** GET /access-requests/{id}/events?limit=&cursor= (404 for a request the caller may not read) */
export const handler = accessRequestRoute(async (event, deps) => {
  const { page, reader } = await getAccessRequestEvents(requestIdParameter(event), event.caller, event.queryStringParameters ?? {}, deps);
  return jsonResponse(200, { events: toEventViews(page.items, reader), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
});
