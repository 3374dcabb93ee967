import type { BucketInspector } from '../../ports';

let inspector: Promise<BucketInspector> | undefined;

/**
 * The bucket pre-flight, with the S3 client loaded on the first bucket to inspect (routes that never
 * plan an S3 grant do not pay for it). Its clients use the broker's own credentials, one per region;
 * per-account sessions plug into S3BucketInspector's client factory.
 */
export function bucketInspector(): BucketInspector {
  const loaded = () =>
    (inspector ??= import('../../adapters/aws/s3BucketInspector').then(({ S3BucketInspector }) => new S3BucketInspector()));
  return { inspect: async (bucket, owners, cluster) => (await loaded()).inspect(bucket, owners, cluster) };
}
