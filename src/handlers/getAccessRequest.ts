import { toAccessRequestView } from '../api/accessRequestView';
import { jsonResponse } from '../api/responses';
import { getAccessRequest } from '../usecases/getAccessRequest';
import { accessRequestRoute, requestIdParameter } from './wiring/accessRequestRoute';

/** GET /access-requests/{id} (404 for a request the caller may not read) */
export const handler = accessRequestRoute(async (event, deps) => {
  const { record, reader } = await getAccessRequest(requestIdParameter(event), event.caller, deps);
  return jsonResponse(200, toAccessRequestView(record, reader));
});
