import { GetBucketEncryptionCommand, GetBucketLocationCommand, GetBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { BucketEncryption, BucketFactsStatus, type BucketFacts } from '../../domain/bucketFacts';
import type { ClusterConfig } from '../../domain/brokerConfig';
import type { BucketInspector } from '../../ports';
import { clientOptions } from '../clientBudgets';

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}
const errorName = (error: unknown) => (error as SdkError | undefined)?.name ?? 'Error';
const statusOf = (error: unknown) => (error as SdkError | undefined)?.$metadata?.httpStatusCode;

/** S3's old region names in GetBucketLocation: empty is us-east-1, "EU" is eu-west-1. */
function regionOf(constraint: string | undefined): string {
  if (!constraint) return 'us-east-1';
  return constraint === 'EU' ? 'eu-west-1' : constraint;
}

const ALGORITHMS: Record<string, BucketEncryption> = {
  AES256: BucketEncryption.SseS3,
  'aws:kms': BucketEncryption.SseKms,
  'aws:kms:dsse': BucketEncryption.DsseKms,
};

/** S3 may name the key by id, alias or ARN; IAM statements need an ARN. */
function keyArnOf(keyId: string | undefined, cluster: ClusterConfig, region: string, owner: string): string | undefined {
  if (!keyId || keyId.startsWith('arn:')) return keyId;
  const kind = keyId.startsWith('alias/') ? '' : 'key/';
  return `arn:${cluster.partition}:kms:${region}:${owner}:${kind}${keyId}`;
}

/** Client per region; the factory is where sessions in the cluster's account plug in. */
export type S3ClientFactory = (region: string, cluster: ClusterConfig) => S3Client;

/**
 * The bucket pre-flight through @aws-sdk/client-s3. Only two answers refuse a request: NoSuchBucket,
 * and 403 under the expected owner (S3 answers AccessDenied when ExpectedBucketOwner is not the
 * owner). Anything else — throttling, 5xx, timeouts, missing credentials — leaves the bucket
 * unchecked, so that an S3 hiccup never blocks a request.
 */
export class S3BucketInspector implements BucketInspector {
  private readonly clients = new Map<string, S3Client>();

  constructor(private readonly makeClient: S3ClientFactory = (region) => defaultS3Client(region)) {}

  async inspect(bucket: string, expectedOwners: readonly string[], cluster: ClusterConfig): Promise<BucketFacts> {
    let lastDenial = 'AccessDenied';
    for (const owner of expectedOwners) {
      let constraint: string | undefined;
      try {
        constraint = (
          await this.client(cluster.region, cluster).send(new GetBucketLocationCommand({ Bucket: bucket, ExpectedBucketOwner: owner }))
        ).LocationConstraint;
      } catch (error) {
        if (errorName(error) === 'NoSuchBucket') return { status: BucketFactsStatus.Missing };
        if (statusOf(error) === 403) {
          lastDenial = errorName(error);
          continue;
        }
        return { status: BucketFactsStatus.Unchecked, code: errorName(error), message: (error as Error).message ?? String(error) };
      }
      const region = regionOf(constraint);
      const client = this.client(region, cluster);
      const [encryption, policy] = await Promise.all([
        this.encryption(client, bucket, owner, cluster, region),
        // Only a bucket in another account needs its owner's policy to admit the role.
        owner === cluster.accountId ? Promise.resolve({ text: null }) : this.policy(client, bucket, owner),
      ]);
      return { status: BucketFactsStatus.Found, region, owner, encryption, policy };
    }
    return { status: BucketFactsStatus.OwnerNotExpected, code: lastDenial };
  }

  private async encryption(client: S3Client, bucket: string, owner: string, cluster: ClusterConfig, region: string) {
    try {
      const rules = (await client.send(new GetBucketEncryptionCommand({ Bucket: bucket, ExpectedBucketOwner: owner })))
        .ServerSideEncryptionConfiguration?.Rules;
      const rule = rules?.[0];
      const byDefault = rule?.ApplyServerSideEncryptionByDefault;
      const type = ALGORITHMS[byDefault?.SSEAlgorithm ?? ''] ?? BucketEncryption.None;
      const kmsKeyArn = type === BucketEncryption.SseS3 ? undefined : keyArnOf(byDefault?.KMSMasterKeyID, cluster, region, owner);
      return { type, ...(kmsKeyArn ? { kmsKeyArn } : {}), bucketKeyEnabled: rule?.BucketKeyEnabled === true };
    } catch (error) {
      // Buckets made before 2023 may have no default encryption at all.
      if (errorName(error) === 'ServerSideEncryptionConfigurationNotFoundError') {
        return { type: BucketEncryption.None, bucketKeyEnabled: false };
      }
      return { unreadable: errorName(error) };
    }
  }

  private async policy(client: S3Client, bucket: string, owner: string) {
    try {
      return { text: (await client.send(new GetBucketPolicyCommand({ Bucket: bucket, ExpectedBucketOwner: owner }))).Policy ?? null };
    } catch (error) {
      if (errorName(error) === 'NoSuchBucketPolicy') return { text: null };
      // Another account's bucket policy is readable only if that policy lets the broker read it.
      return { unreadable: errorName(error) };
    }
  }

  private client(region: string, cluster: ClusterConfig): S3Client {
    const key = `${cluster.accountId}/${region}`;
    let client = this.clients.get(key);
    if (!client) {
      client = this.makeClient(region, cluster);
      this.clients.set(key, client);
    }
    return client;
  }
}

/**
 * A client in the broker's own credentials (the hub account's), with the function's timeouts and
 * attempts (clientBudgets): the pre-flight sits in front of an API answer, and an S3 that does not
 * answer in time leaves the bucket unchecked.
 */
export function defaultS3Client(region: string, credentials?: AwsCredentialIdentityProvider): S3Client {
  return new S3Client({
    region,
    ...(credentials ? { credentials } : {}),
    // An endpoint override is an emulator (tests, local runs), where bucket names are not host names.
    forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL),
    followRegionRedirects: true,
    ...clientOptions(),
  });
}
