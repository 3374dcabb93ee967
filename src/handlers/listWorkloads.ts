import { jsonResponse } from '../api/responses';
import { listWorkloads } from '../usecases/readWorkloads';
import { accessRequestRoute } from './wiring/accessRequestRoute';

/** GET /workloads?cluster=&namespace=&limit=&cursor= */
export const handler = accessRequestRoute(async (event, deps) =>
  jsonResponse(200, await listWorkloads(event.queryStringParameters ?? {}, event.caller, deps)),
);
