import { jsonResponse } from '../api/responses';
import { getWorkload } from '../usecases/readWorkloads';
import { accessRequestRoute } from './wiring/accessRequestRoute';

/** GET /workloads/{cluster}/{namespace}/{serviceAccount} */
export const handler = accessRequestRoute(async (event, deps) =>
  jsonResponse(200, await getWorkload(event.pathParameters ?? {}, event.caller, deps)),
);
