import { DecisionBodySchema } from '../api/accessRequestView';
import { jsonResponse } from '../api/responses';
import { parseInput } from '../domain/parseInput';
import { RequestStatus } from '../domain/requestLifecycle';
import { revokeAccessRequest } from '../usecases/revokeAccessRequest';
import { accessRequestRoute, requestIdParameter, viewFor } from './wiring/accessRequestRoute';
import { provisioningDeps } from './wiring/provisioningDeps';

/** POST /access-requests/{id}/revoke: 200 once revoked; 202 while it is still `revoking` (the sweep finishes it). */
export const handler = accessRequestRoute(
  async (event, deps) => {
    const body = parseInput(DecisionBodySchema, event.body, 'revoke body');
    const record = await revokeAccessRequest(requestIdParameter(event), event.caller, body.comment, deps);
    return jsonResponse(record.status === RequestStatus.Revoking ? 202 : 200, viewFor(record, event));
  },
  { body: 'optional', deps: provisioningDeps },
);
