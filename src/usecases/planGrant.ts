import { AccessRequestSchema } from '../domain/accessRequest';
import { findCluster, type BrokerConfig } from '../domain/brokerConfig';
import { NotFoundError } from '../domain/errors';
import { makeGrantPlan, type GrantPlan } from '../domain/grantPlan';
import { parseInput } from '../domain/parseInput';
import type { ClusterIssuerSource } from '../ports';

export interface PlanGrantDeps {
  config: BrokerConfig;
  issuers: ClusterIssuerSource;
  serviceAccountTemplate: string;
}

/** Dry run: validates a request and returns everything the broker would create, creating nothing. */
export async function planGrant(input: unknown, deps: PlanGrantDeps): Promise<GrantPlan> {
  const request = parseInput(AccessRequestSchema, input, 'access request');
  const cluster = findCluster(deps.config, request.cluster);
  if (!cluster) {
    throw new NotFoundError('CLUSTER_NOT_FOUND', `cluster "${request.cluster}" is not configured in this broker`, {
      details: { cluster: request.cluster, known: deps.config.clusters.map((known) => known.name) },
    });
  }
  const issuerUrl = await deps.issuers.getIssuerUrl(cluster);
  return makeGrantPlan({ request, cluster, issuerUrl, config: deps.config, serviceAccountTemplate: deps.serviceAccountTemplate });
}
