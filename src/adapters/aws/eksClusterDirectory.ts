import { DescribeClusterCommand, EKSClient, ResourceNotFoundException } from '@aws-sdk/client-eks';
import type { ClusterConfig } from '../../domain/brokerConfig';
import { DependencyRefusedError, NotFoundError } from '../../domain/errors';
import type { ClusterDirectory, ClusterInfo, ClusterIssuerSource } from '../../ports';
import { clientOptions } from '../clientBudgets';
import { awsErrorCode, FailureClass, translateAwsError } from '../dependencyFailures';

/** Answers of DescribeCluster by account, region and name; sessions of one account may share one. */
export type ClusterInfoCache = Map<string, Promise<ClusterInfo>>;

/**
 * Reads clusters with EKS DescribeCluster, one client per region, each answer cached per cold start.
 * One directory acts in one account (its clients' credentials); `cache` may outlive it, because what
 * EKS says about a cluster does not depend on which session of the account asked.
 */
export class EksClusterDirectory implements ClusterDirectory, ClusterIssuerSource {
  private readonly clients = new Map<string, EKSClient>();

  constructor(
    private readonly makeClient: (region: string) => EKSClient = (region) => new EKSClient({ region, ...clientOptions() }),
    private readonly clusters: ClusterInfoCache = new Map(),
  ) {}

  describeCluster(cluster: ClusterConfig): Promise<ClusterInfo> {
    const key = `${cluster.accountId}/${cluster.region}/${cluster.name}`;
    let info = this.clusters.get(key);
    if (!info) {
      info = this.describe(cluster);
      // A failed lookup is not cached: the next request tries again.
      info.catch(() => this.clusters.delete(key));
      this.clusters.set(key, info);
    }
    return info;
  }

  async getIssuerUrl(cluster: ClusterConfig): Promise<string> {
    return (await this.describeCluster(cluster)).issuerUrl;
  }

  private clientFor(region: string): EKSClient {
    let client = this.clients.get(region);
    if (!client) {
      client = this.makeClient(region);
      this.clients.set(region, client);
    }
    return client;
  }

  private async describe(cluster: ClusterConfig): Promise<ClusterInfo> {
    let described;
    try {
      described = (await this.clientFor(cluster.region).send(new DescribeClusterCommand({ name: cluster.name }))).cluster;
    } catch (error) {
      if (error instanceof ResourceNotFoundException || (error as Error).name === 'ResourceNotFoundException') {
        throw new NotFoundError(
          'CLUSTER_NOT_FOUND_IN_EKS',
          `EKS has no cluster "${cluster.name}" in account ${cluster.accountId}, region ${cluster.region}; check the cluster's name, accountId and region in the config`,
          { cause: error, details: { cluster: cluster.name, accountId: cluster.accountId, region: cluster.region } },
        );
      }
      // Retryable: EKS_UNAVAILABLE (503); AccessDenied and other refusals are the broker's set-up (502).
      throw translateAwsError(error, {
        code: (failure) => (failure.class === FailureClass.Retryable ? 'EKS_UNAVAILABLE' : awsErrorCode('EKS', failure.name)),
        message: (failure) =>
          `cannot describe EKS cluster "${cluster.name}" in account ${cluster.accountId}, region ${cluster.region}: ${failure.name}: ${failure.message}`,
        details: { cluster: cluster.name, accountId: cluster.accountId, region: cluster.region },
        refused: 'broker',
      });
    }
    const issuerUrl = described?.identity?.oidc?.issuer;
    if (!issuerUrl) {
      // The cluster's set-up, not a passing state: retrying will not give it an issuer.
      throw new DependencyRefusedError('CLUSTER_HAS_NO_OIDC_ISSUER', `EKS cluster "${cluster.name}" reports no OIDC issuer`);
    }
    return { issuerUrl, endpoint: described?.endpoint ?? '', certificateAuthorityData: described?.certificateAuthority?.data ?? '' };
  }
}
