import { toAccessRequestView } from '../api/accessRequestView';
import { jsonResponse } from '../api/responses';
import { listAccessRequests } from '../usecases/listAccessRequests';
import { accessRequestRoute } from './wiring/accessRequestRoute';

/** GET /access-requests?status=&cluster=&namespace=&requester=&limit=&cursor= (only what the caller may read) */
export const handler = accessRequestRoute(async (event, deps) => {
  const page = await listAccessRequests(event.queryStringParameters ?? {}, event.caller, deps);
  return jsonResponse(200, {
    items: page.items.map(({ record, reader }) => toAccessRequestView(record, reader)),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  });
});
