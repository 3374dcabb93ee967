import { yamlResponse } from '../api/responses';
import { getAccessRequestManifest } from '../usecases/getAccessRequest';
import { accessRequestRoute, requestIdParameter } from './wiring/accessRequestRoute';

/** GET /access-requests/{id}/manifest (YAML, once the grant is active) */
export const handler = accessRequestRoute(async (event, deps) => {
  const { yaml, record } = await getAccessRequestManifest(requestIdParameter(event), event.caller, deps);
  const response = yamlResponse(200, yaml);
  return { ...response, headers: { ...response.headers, 'x-irsa-broker-grant-mode': record.grant?.mode ?? 'unknown' } };
});
