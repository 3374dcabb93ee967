import type { ClusterConfig } from '../domain/brokerConfig';
import type { AccountSessions, ClusterIssuerSource } from '../ports';

/** Plans have no request id yet; their DescribeCluster sessions are named for what they do. */
const PLAN_SESSION_ID = 'plan';

/** Issuers read with DescribeCluster in each cluster's own account, through its session. */
export function describedIssuers(sessions: AccountSessions): ClusterIssuerSource {
  return {
    async getIssuerUrl(cluster: ClusterConfig): Promise<string> {
      const session = await sessions.forCluster(cluster, PLAN_SESSION_ID);
      return (await session.clusters.describeCluster(cluster)).issuerUrl;
    },
  };
}

/**
 * Issuers from config where set; otherwise from a source loaded on first need. Loading lazily keeps
 * the EKS client (and the AWS SDK) out of a cold start whenever config names every issuer.
 */
export function createClusterIssuerSource(loadDescribedSource: () => Promise<ClusterIssuerSource>): ClusterIssuerSource {
  let described: Promise<ClusterIssuerSource> | undefined;
  return {
    async getIssuerUrl(cluster: ClusterConfig): Promise<string> {
      if (cluster.oidcIssuer) return cluster.oidcIssuer;
      described ??= loadDescribedSource();
      return (await described).getIssuerUrl(cluster);
    },
  };
}
