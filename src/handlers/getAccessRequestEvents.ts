import { jsonResponse } from '../api/responses';
import { getAccessRequestEvents } from '../usecases/getAccessRequest';
import { accessRequestRoute, requestIdParameter } from './wiring/accessRequestRoute';

/** GET /access-requests/{id}/events */
export const handler = accessRequestRoute(async (event, deps) =>
  jsonResponse(200, { events: await getAccessRequestEvents(requestIdParameter(event), deps) }),
);
