import { DecisionBodySchema } from '../api/accessRequestView';
import { jsonResponse } from '../api/responses';
import { parseInput } from '../domain/parseInput';
import { cancelAccessRequest } from '../usecases/cancelAccessRequest';
import { accessRequestRoute, requestIdParameter, viewFor } from './wiring/accessRequestRoute';

/** POST /access-requests/{id}/cancel */
export const handler = accessRequestRoute(
  async (event, deps) => {
    const body = parseInput(DecisionBodySchema, event.body, 'cancel body');
    return jsonResponse(200, viewFor(await cancelAccessRequest(requestIdParameter(event), event.caller, body.comment, deps), event));
  },
  { body: 'optional' },
);
