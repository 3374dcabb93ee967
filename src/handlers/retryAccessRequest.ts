import { jsonResponse } from '../api/responses';
import { retryAccessRequest } from '../usecases/retryAccessRequest';
import { accessRequestRoute, requestIdParameter, viewFor } from './wiring/accessRequestRoute';

/** POST /access-requests/{id}/retry: resume a failed grant (202: provisioning runs asynchronously) */
export const handler = accessRequestRoute(async (event, deps) =>
  jsonResponse(202, viewFor(await retryAccessRequest(requestIdParameter(event), event.caller, deps), event)),
);
