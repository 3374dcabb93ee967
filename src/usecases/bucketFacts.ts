import type { AccessRequest } from '../domain/accessRequest';
import type { BucketFacts } from '../domain/bucketFacts';
import { bucketsOf, expectedBucketOwners } from '../domain/bucketPreflight';
import type { BrokerConfig, ClusterConfig } from '../domain/brokerConfig';
import type { BucketInspector } from '../ports';

/**
 * Reads every bucket the request's S3 grants name, concurrently, for the plan to judge. Undefined
 * where config turns the pre-flight off (the plan then has no `buckets`).
 */
export async function readBucketFacts(
  request: Pick<AccessRequest, 'grants'>,
  cluster: ClusterConfig,
  deps: { config: BrokerConfig; buckets: BucketInspector },
  only?: (bucket: string) => boolean,
): Promise<Map<string, BucketFacts> | undefined> {
  if (!deps.config.bucketPreflight) return undefined;
  const names = bucketsOf(request.grants).filter((bucket) => only?.(bucket) ?? true);
  const facts = await Promise.all(
    names.map((bucket) => deps.buckets.inspect(bucket, expectedBucketOwners(deps.config, cluster, bucket), cluster)),
  );
  return new Map(names.map((bucket, index) => [bucket, facts[index]!]));
}
