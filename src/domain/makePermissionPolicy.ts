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
const LEVELS_THAT_LIST: ReadonlySet<S3AccessLevel> = new Set([S3AccessLevel.Read, S3AccessLevel.ReadWrite, S3AccessLevel.List]);

interface BucketScope {
  bucket: string;
  prefix: string;
  objectActions: Set<string>;
  lists: boolean;
}

/** Merges grants on the same bucket and prefix and sorts them, so order and repeats never change the policy. */
function collectScopes(grants: readonly Grant[]): BucketScope[] {
  const scopes = new Map<string, BucketScope>();
  for (const grant of grants) {
    if (grant.type !== 's3') continue;
    const prefix = grant.prefix ?? '';
    const key = `${grant.bucket}/${prefix}`;
    const scope = scopes.get(key) ?? { bucket: grant.bucket, prefix, objectActions: new Set<string>(), lists: false };
    OBJECT_ACTIONS[grant.level].forEach((action) => scope.objectActions.add(action));
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

/**
 * The least-privilege permission policy for a request's S3 grants: exact actions per level on
 * exactly the bucket and prefix ARNs, each only while the expected account owns the bucket, with
 * deterministic Sids and order. Returns `null` when the request holds no S3 grant (managed
 * policies are attached, not inlined).
 */
export function makePermissionPolicy(grants: readonly Grant[], partition: Partition, bucketOwner: BucketOwner): PolicyDocument | null {
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
  });
  return statements.length > 0 ? { Version: POLICY_VERSION, Statement: statements } : null;
}
