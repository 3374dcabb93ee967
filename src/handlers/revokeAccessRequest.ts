import { DecisionBodySchema } from '../api/accessRequestView';
import { jsonResponse } from '../api/responses';
import { parseInput } from '../domain/parseInput';
import { revokeAccessRequest } from '../usecases/revokeAccessRequest';
import { accessRequestRoute, requestIdParameter, viewFor } from './wiring/accessRequestRoute';
import { provisioningDeps } from './wiring/provisioningDeps';

/** POST /access-requests/{id}/revoke */
export const handler = accessRequestRoute(
  async (event, deps) => {
    const body = parseInput(DecisionBodySchema, event.body, 'revoke body');
    return jsonResponse(200, viewFor(await revokeAccessRequest(requestIdParameter(event), event.caller, body.comment, deps), event));
  },
  { body: 'optional', deps: provisioningDeps },
);
