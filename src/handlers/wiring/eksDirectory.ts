import { EksClusterDirectory } from '../../adapters/aws/eksClusterDirectory';

let clusters: EksClusterDirectory | undefined;

/** One EKS directory per cold start, so each cluster is described once. */
export function clusterDirectory(): EksClusterDirectory {
  clusters ??= new EksClusterDirectory();
  return clusters;
}
