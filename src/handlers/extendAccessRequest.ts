import { jsonResponse } from '../api/responses';
import { extendAccessRequest } from '../usecases/extendAccessRequest';
import { accessRequestRoute, requestIdParameter, viewFor } from './wiring/accessRequestRoute';

/** POST /access-requests/{id}/extend */
export const handler = accessRequestRoute(
  async (event, deps) =>
    jsonResponse(200, viewFor(await extendAccessRequest(requestIdParameter(event), event.body, event.caller, deps), event)),
  { body: 'required' },
);
