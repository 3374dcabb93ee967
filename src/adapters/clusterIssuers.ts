import type { ClusterConfig } from '../domain/brokerConfig';
import type { ClusterIssuerSource } from '../ports';

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
