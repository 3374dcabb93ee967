import { S3AccessLevel, type Grant } from './accessRequest';
import { arns } from './arns';
import type { Partition } from './names';
import { POLICY_VERSION, type PolicyDocument, type PolicyStatement } from './policyDocument';

/** Object actions per access level; listing is a bucket action and handled apart. */
const OBJECT_ACTIONS: Record<S3AccessLevel, readonly string[]> = {
  [S3AccessLevel.Read]: ['s3:GetObject'],
  // Multipart uploads need Abort so a failed upload can be cleaned up by the writer itself.
  [S3AccessLevel.Write]: ['s3:AbortMultipartUpload', 's3:PutObject'],
  [S3AccessLevel.ReadWrite]: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
  [S3AccessLevel.List]: [],
};
/** Readers may list what they read; writers alone may not (they need not see other objects). */
/**
 * KMS actions per level on an SSE-KMS bucket's key. Writing needs Decrypt too: a multipart upload
 * decrypts its data key to complete the parts.
 */
const KMS_ACTIONS: Record<S3AccessLevel, readonly string[]> = {
  [S3AccessLevel.Read]: ['kms:Decrypt'],
  [S3AccessLevel.Write]: ['kms:Decrypt', 'kms:GenerateDataKey'],
  [S3AccessLevel.ReadWrite]: ['kms:Decrypt', 'kms:GenerateDataKey'],
  [S3AccessLevel.List]: [],
};
const LEVELS_THAT_LIST: ReadonlySet<S3AccessLevel> = new Set([S3AccessLevel.Read, S3AccessLevel.ReadWrite, S3AccessLevel.List]);

interface BucketScope {
  bucket: string;
  prefix: string;
  objectActions: Set<string>;
  kmsActions: Set<string>;
  lists: boolean;
}

/** The customer-managed KMS key an SSE-KMS bucket encrypts with by default, as the pre-flight found it. */
export interface BucketKey {
  kmsKeyArn: string;
  /** The bucket's region: KMS is used through S3 there. */
  region: string;
  /** With S3 Bucket Keys, S3 asks KMS with the bucket's ARN as encryption context, not the object's. */
  bucketKeyEnabled: boolean;
}

/** Merges grants on the same bucket and prefix and sorts them, so order and repeats never change the policy. */
function collectScopes(grants: readonly Grant[]): BucketScope[] {
  const scopes = new Map<string, BucketScope>();
  for (const grant of grants) {
    if (grant.type !== 's3') continue;
    const prefix = grant.prefix ?? '';
    const key = `${grant.bucket}/${prefix}`;
    const scope = scopes.get(key) ?? {
      bucket: grant.bucket,
      prefix,
      objectActions: new Set<string>(),
      kmsActions: new Set<string>(),
      lists: false,
    };
    OBJECT_ACTIONS[grant.level].forEach((action) => scope.objectActions.add(action));
    KMS_ACTIONS[grant.level].forEach((action) => scope.kmsActions.add(action));
    scope.lists ||= LEVELS_THAT_LIST.has(grant.level);
    scopes.set(key, scope);
  }
  return [...scopes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, scope]) => scope);
}

/** The account that must own a bucket for the grant to apply (the cluster's, or one config names). */
export type BucketOwner = (bucket: string) => string;

/**
 * Bucket names are global and can change hands: a deleted bucket's name may be taken by anyone.
 * `s3:ResourceAccount` makes a statement apply only while the expected account owns the bucket.
 */
const ownedBy = (account: string) => ({ StringEquals: { 's3:ResourceAccount': account } });

function listStatement(partition: Partition, scope: BucketScope, sid: string, account: string): PolicyStatement {
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: arns.bucket(partition, scope.bucket),
    // `*` also matches the empty string, so "prefix/*" covers listing "prefix/" itself.
    Condition: { ...ownedBy(account), ...(scope.prefix ? { StringLike: { 's3:prefix': `${scope.prefix}*` } } : {}) },
  };
}

/** S3's service endpoint as `kms:ViaService` names it; China's regions have their own domain. */
export function s3ViaService(partition: Partition, region: string): string {
  return `s3.${region}.${partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

/**
 * The KMS statement a scope on an SSE-KMS bucket needs: exactly its level's actions on the one key,
 * only when S3 in the bucket's region asks (`kms:ViaService`), and only for this bucket and prefix
 * (the encryption context S3 sends) — so the role cannot use the key directly or for other buckets.
 */
export function kmsStatement(
  partition: Partition,
  scope: Pick<BucketScope, 'bucket' | 'prefix' | 'kmsActions'>,
  key: BucketKey,
  sid: string,
): PolicyStatement {
  const context = key.bucketKeyEnabled ? arns.bucket(partition, scope.bucket) : arns.objects(partition, scope.bucket, scope.prefix);
  const alias = ALIAS_ARN.exec(key.kmsKeyArn);
  return {
    Sid: sid,
    Effect: 'Allow',
    Action: [...scope.kmsActions].sort(),
    // IAM authorizes KMS calls against the key's ARN, never its alias: a bucket that names its key by
    // alias gets the account's keys in that region narrowed to the one carrying the alias.
    Resource: alias ? `arn:${partition}:kms:${alias[1]}:${alias[2]}:key/*` : key.kmsKeyArn,
    Condition: {
      StringEquals: { 'kms:ViaService': s3ViaService(partition, key.region) },
      StringLike: { 'kms:EncryptionContext:aws:s3:arn': context },
      ...(alias ? { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': `alias/${alias[3]}` } } : {}),
    },
  };
}

/** A KMS alias ARN: region, account, alias name. */
const ALIAS_ARN = /^arn:[^:]+:kms:([^:]+):(\d{12}):alias\/(.+)$/;

/**
 * The least-privilege permission policy for a request's S3 grants: exact actions per level on
 * exactly the bucket and prefix ARNs, each only while the expected account owns the bucket, with
 * deterministic Sids and order. Returns `null` when the request holds no S3 grant (managed
 * policies are attached, not inlined). `keys`: the KMS key of each SSE-KMS bucket, whose scopes
 * then also get the KMS actions their level needs.
 */
export function makePermissionPolicy(
  grants: readonly Grant[],
  partition: Partition,
  bucketOwner: BucketOwner,
  keys: ReadonlyMap<string, BucketKey> = new Map(),
): PolicyDocument | null {
  const statements: PolicyStatement[] = [];
  collectScopes(grants).forEach((scope, index) => {
    const number = index + 1;
    const account = bucketOwner(scope.bucket);
    if (scope.objectActions.size > 0) {
      statements.push({
        Sid: `S3Objects${number}`,
        Effect: 'Allow',
        Action: [...scope.objectActions].sort(),
        Resource: arns.objects(partition, scope.bucket, scope.prefix),
        Condition: ownedBy(account),
      });
    }
    if (scope.lists) statements.push(listStatement(partition, scope, `S3List${number}`, account));
    const key = keys.get(scope.bucket);
    if (key && scope.kmsActions.size > 0) statements.push(kmsStatement(partition, scope, key, `S3Kms${number}`));
  });
  return statements.length > 0 ? { Version: POLICY_VERSION, Statement: statements } : null;
}
