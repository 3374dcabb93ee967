import { toAccessRequestView } from '../api/accessRequestView';
import { jsonResponse } from '../api/responses';
import { getAccessRequest } from '../usecases/getAccessRequest';
import { accessRequestRoute, requestIdParameter } from './wiring/accessRequestRoute';

/** GET /access-requests/{id} */
export const handler = accessRequestRoute(async (event, deps) =>
  jsonResponse(200, toAccessRequestView(await getAccessRequest(requestIdParameter(event), deps))),
);
