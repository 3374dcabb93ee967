import * as z from 'zod';
import { AccessRequestSchema, type AccessRequest } from '../domain/accessRequest';
import { findCluster, type BrokerConfig, type ClusterConfig } from '../domain/brokerConfig';
import { NotFoundError } from '../domain/errors';
import { GrantPlanSchema, makeGrantPlan, type GrantPlan } from '../domain/grantPlan';
import { parseInput } from '../domain/parseInput';
import { makeWorkloadOutlook, WorkloadOutlookSchema } from '../domain/workloadOutlook';
import type { AccessRequestStore, BucketInspector, ClusterIssuerSource, WorkloadStore } from '../ports';
import { readBucketFacts } from './bucketFacts';
import { readWorkloadState } from './workloadState';

/** A dry run's answer: the plan of this request, and what it meets on its workload. */
export const PlanResponseSchema = GrantPlanSchema.extend({ workload: WorkloadOutlookSchema }).meta({ id: 'PlanResponse' });
export type PlanResponse = z.infer<typeof PlanResponseSchema>;

export interface PlanGrantDeps {
  config: BrokerConfig;
  issuers: ClusterIssuerSource;
  buckets: BucketInspector;
  serviceAccountTemplate: string;
  store: AccessRequestStore;
  workloads: WorkloadStore;
}

/** The plan of a request, with its cluster's issuer and its buckets read first (concurrently). */
export async function planRequest(
  request: AccessRequest,
  cluster: ClusterConfig,
  deps: Pick<PlanGrantDeps, 'config' | 'issuers' | 'buckets' | 'serviceAccountTemplate'>,
  requestId?: string,
): Promise<GrantPlan> {
  const [issuerUrl, bucketFacts] = await Promise.all([deps.issuers.getIssuerUrl(cluster), readBucketFacts(request, cluster, deps)]);
  return makeGrantPlan({
    request,
    cluster,
    issuerUrl,
    config: deps.config,
    serviceAccountTemplate: deps.serviceAccountTemplate,
    requestId,
    bucketFacts,
  });
}

/**
 * Dry run: validates a request and returns everything the broker would create, creating nothing —
 * planned against the whole workload, so that what a submit would refuse is refused here too.
 */
export async function planGrant(input: unknown, deps: PlanGrantDeps): Promise<PlanResponse> {
  const request = parseInput(AccessRequestSchema, input, 'access request');
  const cluster = findCluster(deps.config, request.cluster);
  if (!cluster) {
    throw new NotFoundError('CLUSTER_NOT_FOUND', `cluster "${request.cluster}" is not configured in this broker`, {
      details: { cluster: request.cluster, known: deps.config.clusters.map((known) => known.name) },
    });
  }
  const plan = await planRequest(request, cluster, deps);
  const workload = makeWorkloadOutlook(await readWorkloadState(request, deps), plan, undefined, deps.config.managedPoliciesPerRole);
  return { ...plan, workload };
}
