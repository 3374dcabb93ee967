import { toAccessRequestView } from '../api/accessRequestView';
import { jsonResponse } from '../api/responses';
import { extendAccessRequest } from '../usecases/extendAccessRequest';
import { accessRequestRoute, requestIdParameter } from './wiring/accessRequestRoute';

/** POST /access-requests/{id}/extend */
export const handler = accessRequestRoute(
  async (event, deps) =>
    jsonResponse(200, toAccessRequestView(await extendAccessRequest(requestIdParameter(event), event.body, event.caller, deps))),
  { body: 'required' },
);
