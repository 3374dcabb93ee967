import { DecisionBodySchema } from '../api/accessRequestView';
import { jsonResponse } from '../api/responses';
import { parseInput } from '../domain/parseInput';
import { approveAccessRequest } from '../usecases/decideAccessRequest';
import { accessRequestRoute, requestIdParameter, viewFor } from './wiring/accessRequestRoute';

/** POST /access-requests/{id}/approve */
export const handler = accessRequestRoute(
  async (event, deps) => {
    const body = parseInput(DecisionBodySchema, event.body, 'approve body');
    return jsonResponse(200, viewFor(await approveAccessRequest(requestIdParameter(event), event.caller, body.comment, deps), event));
  },
  { body: 'optional' },
);
