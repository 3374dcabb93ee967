import middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { headerValue } from '../api/headers';
import { negotiateMediaType } from '../api/negotiate';
import { jsonResponse, MediaType, yamlResponse } from '../api/responses';
import { callerIdentity } from '../middleware/callerIdentity';
import { httpErrorResponse } from '../middleware/httpErrorResponse';
import { jsonBody, type JsonEvent } from '../middleware/jsonBody';
import { planGrant } from '../usecases/planGrant';
import { accessRequestDeps } from './wiring/accessRequestDeps';

/** POST /plans (a plan names accounts, issuers and role ARNs: only identified callers see one) */
export const handler = middy<JsonEvent, APIGatewayProxyResultV2>()
  .use(httpErrorResponse())
  .use(callerIdentity(() => accessRequestDeps().config.identity) as unknown as middy.MiddlewareObj<JsonEvent>)
  .use(jsonBody())
  .handler(async (event) => {
    const mediaType = negotiateMediaType(headerValue(event.headers, 'accept'), [MediaType.Json, MediaType.Yaml]);
    // The plan reads the workload (its item and open requests) from the request store.
    const plan = await planGrant(event.body, accessRequestDeps());
    return mediaType === MediaType.Yaml ? yamlResponse(200, plan.serviceAccount.yaml) : jsonResponse(200, plan);
  });
