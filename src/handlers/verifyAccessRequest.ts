import { jsonResponse } from '../api/responses';
import { verifyAccessRequest } from '../usecases/verifyGrant';
import { accessRequestRoute, requestIdParameter, viewFor } from './wiring/accessRequestRoute';
import { provisioningDeps } from './wiring/provisioningDeps';

/** POST /access-requests/{id}/verify: prove an active grant the way its pod uses it (200 with `verification`) */
export const handler = accessRequestRoute(
  async (event, deps) => jsonResponse(200, viewFor(await verifyAccessRequest(requestIdParameter(event), event.caller, deps), event)),
  { deps: provisioningDeps },
);
