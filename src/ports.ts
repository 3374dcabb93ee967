import type { ClusterConfig } from './domain/brokerConfig';

/** Where a cluster's OIDC issuer URL comes from: config, or EKS DescribeCluster. */
export interface ClusterIssuerSource {
  getIssuerUrl(cluster: ClusterConfig): Promise<string>;
}
