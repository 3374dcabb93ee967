import { DecisionBodySchema, toAccessRequestView } from '../api/accessRequestView';
import { jsonResponse } from '../api/responses';
import { parseInput } from '../domain/parseInput';
import { cancelAccessRequest } from '../usecases/cancelAccessRequest';
import { accessRequestRoute, requestIdParameter } from './wiring/accessRequestRoute';

/** POST /access-requests/{id}/cancel */
export const handler = accessRequestRoute(
  async (event, deps) => {
    const body = parseInput(DecisionBodySchema, event.body, 'cancel body');
    return jsonResponse(200, toAccessRequestView(await cancelAccessRequest(requestIdParameter(event), event.caller, body.comment, deps)));
  },
  { body: 'optional' },
);
