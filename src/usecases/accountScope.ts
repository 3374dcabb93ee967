import { findCluster, type ClusterConfig } from '../domain/brokerConfig';
import { ConflictError } from '../domain/errors';
import type { GrantPlan } from '../domain/grantPlan';
import type { AccountSession, ClusterConnection } from '../ports';
import type { ProvisioningDeps } from './provisioningDeps';

/** A grant's cluster, its account's session, and the deps whose `iam` and `clusters` act in that account. */
export interface AccountScope {
  cluster: ClusterConfig;
  session: AccountSession;
  deps: ProvisioningDeps;
}

/**
 * Resolves the session of a grant's cluster before anything is written: a provisioner role that
 * cannot be assumed fails here (PROVISIONER_ROLE_UNASSUMABLE), and every ensure step given the
 * returned deps then calls IAM and EKS in the cluster's own account. `grantId` names the session.
 */
export async function inClusterAccount(deps: ProvisioningDeps, clusterName: string, grantId: string): Promise<AccountScope> {
  const cluster = findCluster(deps.config, clusterName);
  if (!cluster) throw new ConflictError('CLUSTER_NOT_CONFIGURED', `cluster ${clusterName} is no longer configured`);
  const session = await deps.accounts.forCluster(cluster, grantId);
  return { cluster, session, deps: { ...deps, iam: session.iam, clusters: session.clusters } };
}

/** How to reach the cluster's API server as its account's session (the EKS token is signed with it). */
export async function clusterConnectionOf({ cluster, session }: Pick<AccountScope, 'cluster' | 'session'>): Promise<ClusterConnection> {
  const info = await session.clusters.describeCluster(cluster);
  return {
    name: cluster.name,
    region: cluster.region,
    partition: cluster.partition,
    endpoint: info.endpoint,
    certificateAuthorityData: info.certificateAuthorityData,
    accountId: session.accountId,
    credentials: session.credentials,
  };
}

/** How to reach a grant's cluster, from config and DescribeCluster, in the cluster's account. */
export async function clusterConnection(plan: GrantPlan, grantId: string, deps: ProvisioningDeps): Promise<ClusterConnection> {
  return clusterConnectionOf(await inClusterAccount(deps, plan.cluster.name, grantId));
}
