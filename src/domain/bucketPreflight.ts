import * as z from 'zod';
import type { Grant } from './accessRequest';
import { BucketEncryption, BucketEncryptionSchema, BucketFactsStatus, type BucketFacts } from './bucketFacts';
import { BucketPolicyStatementSchema, bucketPolicyAdmits, makeBucketPolicyStatements } from './bucketPolicy';
import { bucketAccountOf, type BrokerConfig, type ClusterConfig } from './brokerConfig';
import { ValidationError } from './errors';
import type { BucketKey } from './makePermissionPolicy';
import type { Partition } from './names';
import type { PolicyDocument } from './policyDocument';

/** What the pre-flight says about one bucket, in words a requester can act on. */
export const BucketFindingCode = {
  Unchecked: 'UNCHECKED',
  OtherRegion: 'OTHER_REGION',
  CrossAccount: 'CROSS_ACCOUNT',
  BucketPolicyMissing: 'BUCKET_POLICY_MISSING',
  BucketPolicyUnreadable: 'BUCKET_POLICY_UNREADABLE',
  KmsKeyAdded: 'KMS_KEY_ADDED',
  AwsManagedKmsKey: 'AWS_MANAGED_KMS_KEY',
  EncryptionUnreadable: 'ENCRYPTION_UNREADABLE',
} as const;
export type BucketFindingCode = (typeof BucketFindingCode)[keyof typeof BucketFindingCode];

const FindingSchema = z.object({
  code: z.enum(Object.values(BucketFindingCode) as [BucketFindingCode, ...BucketFindingCode[]]),
  message: z.string(),
});

/** The pre-flight of one bucket, as it appears in the plan. Null fields were not (or could not be) read. */
export const BucketPreflightSchema = z
  .object({
    bucket: z.string(),
    checked: z.boolean().meta({ description: 'False when a transient AWS error left the bucket unchecked; provisioning checks it again.' }),
    exists: z.boolean().nullable(),
    region: z.string().nullable(),
    owner: z.string().nullable().meta({ description: 'The account that owns the bucket (proved with ExpectedBucketOwner).' }),
    encryption: BucketEncryptionSchema.nullable(),
    kmsKeyArn: z.string().nullable(),
    bucketPolicy: z
      .object({
        statements: z.array(BucketPolicyStatementSchema),
        admitsRole: z
          .boolean()
          .nullable()
          .meta({ description: "Whether the owner's bucket policy already admits the role (conditions not evaluated); null: unreadable." }),
      })
      .optional()
      .meta({ description: 'Only for a bucket in another account: what its owner must add. Shown, never applied.' }),
    findings: z.array(FindingSchema),
  })
  .meta({ id: 'BucketPreflight' });
export type BucketPreflight = z.infer<typeof BucketPreflightSchema>;

/** The buckets a request's S3 grants name, each once, sorted. */
export function bucketsOf(grants: readonly Grant[]): string[] {
  return [...new Set(grants.flatMap((grant) => (grant.type === 's3' ? [grant.bucket] : [])))].sort();
}

/**
 * The account that must own the bucket, as a one-element list for the inspector's
 * `ExpectedBucketOwner`: the one `bucketAccounts` names for it, else the cluster's. The same
 * setting decides the permission policy's `s3:ResourceAccount`, so the pre-flight admits exactly
 * the owner the grant will apply to.
 */
export function expectedBucketOwners(config: BrokerConfig, cluster: ClusterConfig, bucket: string): string[] {
  return [bucketAccountOf(config, cluster, bucket)];
}

/** A finding per bucket, and the KMS keys the permission policy must name. */
export interface BucketAssessment {
  buckets: BucketPreflight[];
  keys: Map<string, BucketKey>;
}

const unknownBucket = (bucket: string): BucketPreflight => ({
  bucket,
  checked: false,
  exists: null,
  region: null,
  owner: null,
  encryption: null,
  kmsKeyArn: null,
  findings: [],
});

/** AWS-managed keys (alias aws/s3) admit every principal of the account through S3; no statement is needed. */
const isAwsManagedKey = (keyArn: string | undefined) => keyArn === undefined || /:alias\/aws\/s3$/.test(keyArn);

/**
 * Judges what the inspector read. Refuses (422) a bucket that does not exist and one owned by an
 * account the config does not allow for it; everything else becomes findings. A transient failure
 * never refuses: the bucket is marked unchecked and provisioning looks again.
 */
export function assessBuckets(facts: ReadonlyMap<string, BucketFacts>, cluster: ClusterConfig, config: BrokerConfig): BucketAssessment {
  const keys = new Map<string, BucketKey>();
  const buckets = [...facts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([bucket, fact]): BucketPreflight => {
      if (fact.status === BucketFactsStatus.Missing) {
        throw new ValidationError('BUCKET_NOT_FOUND', `S3 bucket ${bucket} does not exist; check its name`, { details: { bucket } });
      }
      if (fact.status === BucketFactsStatus.OwnerNotExpected) {
        const owners = expectedBucketOwners(config, cluster, bucket);
        throw new ValidationError(
          'BUCKET_OWNER_NOT_ALLOWED',
          `S3 bucket ${bucket} is not owned by ${owners.join(' or ')} (or the broker may not read it); a bucket in another account needs an entry in bucketAccounts`,
          { details: { bucket, expectedOwners: owners, code: fact.code } },
        );
      }
      if (fact.status === BucketFactsStatus.Unchecked) {
        return {
          ...unknownBucket(bucket),
          findings: [
            {
              code: BucketFindingCode.Unchecked,
              message: `could not check bucket ${bucket} (${fact.code}); provisioning checks it again before creating anything`,
            },
          ],
        };
      }
      const preflight: BucketPreflight = {
        bucket,
        checked: true,
        exists: true,
        region: fact.region,
        owner: fact.owner,
        encryption: 'type' in fact.encryption ? fact.encryption.type : null,
        kmsKeyArn: 'type' in fact.encryption ? (fact.encryption.kmsKeyArn ?? null) : null,
        findings: [],
      };
      if (fact.region !== cluster.region) {
        preflight.findings.push({
          code: BucketFindingCode.OtherRegion,
          message: `bucket ${bucket} is in ${fact.region}, the cluster in ${cluster.region}: pods must use S3 in ${fact.region} (AWS_REGION or the SDK's region redirects), and data crosses regions`,
        });
      }
      if ('unreadable' in fact.encryption) {
        preflight.findings.push({
          code: BucketFindingCode.EncryptionUnreadable,
          message: `could not read the default encryption of ${bucket} (${fact.encryption.unreadable}); if it uses a customer KMS key, the role also needs that key`,
        });
      } else if (fact.encryption.type === BucketEncryption.SseKms || fact.encryption.type === BucketEncryption.DsseKms) {
        if (isAwsManagedKey(fact.encryption.kmsKeyArn)) {
          preflight.findings.push({
            code: BucketFindingCode.AwsManagedKmsKey,
            message: `bucket ${bucket} uses the AWS-managed key aws/s3, which S3 uses on the role's behalf without a KMS statement`,
          });
        } else {
          const kmsKeyArn = fact.encryption.kmsKeyArn!;
          keys.set(bucket, { kmsKeyArn, region: fact.region, bucketKeyEnabled: fact.encryption.bucketKeyEnabled });
          preflight.findings.push({
            code: BucketFindingCode.KmsKeyAdded,
            message: `bucket ${bucket} encrypts with ${kmsKeyArn}: the policy adds the KMS actions the level needs, only through S3 in ${fact.region} and only for this bucket`,
          });
        }
      }
      return preflight;
    });
  return { buckets, keys };
}

/**
 * Adds, for each bucket in another account, the bucket-policy statements its owner must add for the
 * role, and whether the owner's policy already admits them.
 */
export function withBucketPolicies(
  preflight: BucketPreflight[],
  facts: ReadonlyMap<string, BucketFacts>,
  context: { policy: PolicyDocument | null; partition: Partition; roleArn: string; clusterAccountId: string },
): BucketPreflight[] {
  return preflight.map((bucket) => {
    const fact = facts.get(bucket.bucket);
    if (fact?.status !== BucketFactsStatus.Found || fact.owner === context.clusterAccountId) return bucket;
    const statements = makeBucketPolicyStatements(context.policy, context.partition, bucket.bucket, context.roleArn);
    const admitsRole = 'text' in fact.policy ? bucketPolicyAdmits(fact.policy.text, statements, context.clusterAccountId) : null;
    const findings = [
      ...bucket.findings,
      {
        code: BucketFindingCode.CrossAccount,
        message: `bucket ${bucket.bucket} belongs to account ${fact.owner}: its owner must allow the role in the bucket policy (bucketPolicy.statements)`,
      },
    ];
    if ('unreadable' in fact.policy) {
      findings.push({
        code: BucketFindingCode.BucketPolicyUnreadable,
        message: `could not read the bucket policy of ${bucket.bucket} (${fact.policy.unreadable}); ask its owner to confirm the statements are in place`,
      });
    } else if (admitsRole === false) {
      findings.push({
        code: BucketFindingCode.BucketPolicyMissing,
        message: `the bucket policy of ${bucket.bucket} does not admit the role yet; until its owner adds bucketPolicy.statements, the pod gets AccessDenied`,
      });
    }
    return { ...bucket, bucketPolicy: { statements, admitsRole }, findings };
  });
}
