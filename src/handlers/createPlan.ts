import middy from '@middy/core';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { createClusterIssuerSource } from '../adapters/clusterIssuers';
import { headerValue } from '../api/headers';
import { negotiateMediaType } from '../api/negotiate';
import { jsonResponse, MediaType, yamlResponse } from '../api/responses';
import { loadBrokerConfig } from '../config';
import { kubeTemplates } from '../kubeTemplates';
import { callerIdentity } from '../middleware/callerIdentity';
import { httpErrorResponse } from '../middleware/httpErrorResponse';
import { jsonBody, type JsonEvent } from '../middleware/jsonBody';
import { planGrant, type PlanGrantDeps } from '../usecases/planGrant';

const deps: PlanGrantDeps = {
  config: loadBrokerConfig(),
  // The EKS client is imported only if a configured cluster has no issuer.
  issuers: createClusterIssuerSource(async () => new (await import('../adapters/aws/eksClusterDirectory')).EksClusterDirectory()),
  serviceAccountTemplate: kubeTemplates.serviceAccount,
};

/** POST /plans (a plan names accounts, issuers and role ARNs: only identified callers see one) */
export const handler = middy<JsonEvent, APIGatewayProxyResultV2>()
  .use(httpErrorResponse())
  .use(callerIdentity(() => deps.config.identity) as unknown as middy.MiddlewareObj<JsonEvent>)
  .use(jsonBody())
  .handler(async (event) => {
    const mediaType = negotiateMediaType(headerValue(event.headers, 'accept'), [MediaType.Json, MediaType.Yaml]);
    const plan = await planGrant(event.body, deps);
    return mediaType === MediaType.Yaml ? yamlResponse(200, plan.serviceAccount.yaml) : jsonResponse(200, plan);
  });
