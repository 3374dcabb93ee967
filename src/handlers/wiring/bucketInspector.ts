import type { BucketInspector } from '../../ports';
import { accountSessions } from './accountSessions';

let inspector: Promise<BucketInspector> | undefined;

/** Names the pre-flight's sessions in the spokes' CloudTrail. */
const PREFLIGHT_SESSION = 'bucket-preflight';

/**
 * The bucket pre-flight, with the S3 client loaded on the first bucket to inspect (routes that never
 * plan an S3 grant do not pay for it). Each cluster's buckets are read in the cluster's own account,
 * through its session (the provisioner role in a spoke, the broker's own credentials in the hub); a
 * session that cannot be had leaves the bucket unchecked, like any other S3 failure.
 */
export function bucketInspector(): BucketInspector {
  const loaded = () =>
    (inspector ??= import('../../adapters/aws/s3BucketInspector').then(
      ({ S3BucketInspector, defaultS3Client }) =>
        new S3BucketInspector((region, cluster) =>
          defaultS3Client(region, async () => (await accountSessions().forCluster(cluster, PREFLIGHT_SESSION)).credentials()),
        ),
    ));
  return { inspect: async (bucket, owners, cluster) => (await loaded()).inspect(bucket, owners, cluster) };
}
