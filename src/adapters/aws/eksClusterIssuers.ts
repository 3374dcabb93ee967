import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import type { ClusterConfig } from '../../domain/brokerConfig';
import { DependencyUnavailableError, NotFoundError } from '../../domain/errors';
import type { ClusterIssuerSource } from '../../ports';

/** Reads issuers with EKS DescribeCluster, one client per region, each answer cached per cold start. */
export class EksClusterIssuers implements ClusterIssuerSource {
  private readonly clients = new Map<string, EKSClient>();
  private readonly issuers = new Map<string, Promise<string>>();

  constructor(private readonly makeClient: (region: string) => EKSClient = (region) => new EKSClient({ region })) {}

  getIssuerUrl(cluster: ClusterConfig): Promise<string> {
    const key = `${cluster.region}/${cluster.name}`;
    let issuer = this.issuers.get(key);
    if (!issuer) {
      issuer = this.describeIssuer(cluster);
      // A failed lookup is not cached: the next request tries again.
      issuer.catch(() => this.issuers.delete(key));
      this.issuers.set(key, issuer);
    }
    return issuer;
  }

  private clientFor(region: string): EKSClient {
    let client = this.clients.get(region);
    if (!client) {
      client = this.makeClient(region);
      this.clients.set(region, client);
    }
    return client;
  }

  private async describeIssuer(cluster: ClusterConfig): Promise<string> {
    let issuer: string | undefined;
    try {
      const output = await this.clientFor(cluster.region).send(new DescribeClusterCommand({ name: cluster.name }));
      issuer = output.cluster?.identity?.oidc?.issuer;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        throw new NotFoundError('CLUSTER_NOT_FOUND_IN_EKS', `EKS has no cluster "${cluster.name}" in ${cluster.region}`, { cause: error });
      }
      throw new DependencyUnavailableError('EKS_UNAVAILABLE', `cannot describe EKS cluster "${cluster.name}"`, { cause: error });
    }
    if (!issuer) {
      throw new DependencyUnavailableError('CLUSTER_HAS_NO_OIDC_ISSUER', `EKS cluster "${cluster.name}" reports no OIDC issuer`);
    }
    return issuer;
  }
}
