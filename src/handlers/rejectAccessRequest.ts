import { DecisionBodySchema } from '../api/accessRequestView';
import { jsonResponse } from '../api/responses';
import { parseInput } from '../domain/parseInput';
import { rejectAccessRequest } from '../usecases/decideAccessRequest';
import { accessRequestRoute, requestIdParameter, viewFor } from './wiring/accessRequestRoute';

/** POST /access-requests/{id}/reject */
export const handler = accessRequestRoute(
  async (event, deps) => {
    const body = parseInput(DecisionBodySchema, event.body, 'reject body');
    return jsonResponse(200, viewFor(await rejectAccessRequest(requestIdParameter(event), event.caller, body.comment ?? '', deps), event));
  },
  { body: 'optional' },
);
