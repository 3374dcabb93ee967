import { DecisionBodySchema, toAccessRequestView } from '../api/accessRequestView';
import { jsonResponse } from '../api/responses';
import { parseInput } from '../domain/parseInput';
import { revokeAccessRequest } from '../usecases/revokeAccessRequest';
import { accessRequestRoute, requestIdParameter } from './wiring/accessRequestRoute';
import { provisioningDeps } from './wiring/provisioningDeps';

/** POST /access-requests/{id}/revoke */
export const handler = accessRequestRoute(
  async (event, deps) => {
    const body = parseInput(DecisionBodySchema, event.body, 'revoke body');
    return jsonResponse(200, toAccessRequestView(await revokeAccessRequest(requestIdParameter(event), event.caller, body.comment, deps)));
  },
  { body: 'optional', deps: provisioningDeps },
);
