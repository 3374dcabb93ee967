import * as z from 'zod';
import { arns } from './arns';
import type { Partition } from './names';
import { PolicyStatementSchema, type PolicyDocument, type PolicyStatement } from './policyDocument';
import { matchesWildcard } from './wildcardMatch';

/** A statement for a bucket's own policy: the role as principal. Shown to the bucket's owner, never applied. */
export const BucketPolicyStatementSchema = PolicyStatementSchema.extend({ Principal: z.object({ AWS: z.string() }).strict() }).meta({
  id: 'BucketPolicyStatement',
});
export type BucketPolicyStatement = z.infer<typeof BucketPolicyStatementSchema>;

const asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)]);
const sidPart = (bucket: string) => bucket.replace(/[^A-Za-z0-9]/g, '');

/**
 * The statements a bucket in another account must hold for the role: the S3 statements of the
 * role's own policy on that bucket, with the role as principal. Cross-account S3 access needs both
 * sides to allow it; IAM's side is the broker's policy, this is the other.
 */
export function makeBucketPolicyStatements(
  policy: PolicyDocument | null,
  partition: Partition,
  bucket: string,
  roleArn: string,
): BucketPolicyStatement[] {
  const bucketArn = arns.bucket(partition, bucket);
  const onBucket = (resource: string) => resource === bucketArn || resource.startsWith(`${bucketArn}/`);
  return (policy?.Statement ?? [])
    .filter(
      (statement) => asList(statement.Action).every((action) => action.startsWith('s3:')) && asList(statement.Resource).every(onBucket),
    )
    .map((statement) => ({
      ...withoutOwnerCondition(statement),
      Sid: `IrsaBroker${sidPart(bucket)}${statement.Sid ?? ''}`,
      Principal: { AWS: roleArn },
    }));
}

/**
 * The role's `s3:ResourceAccount` condition guards against a bucket changing hands; in the owner's
 * own bucket policy it says nothing, so the copy leaves it out (other conditions, such as the prefix, stay).
 */
function withoutOwnerCondition(statement: PolicyStatement): PolicyStatement {
  if (!statement.Condition) return statement;
  const condition: Record<string, Record<string, unknown>> = {};
  for (const [operator, entries] of Object.entries(statement.Condition as Record<string, Record<string, unknown>>)) {
    const kept = Object.fromEntries(Object.entries(entries).filter(([key]) => key !== 's3:ResourceAccount'));
    if (Object.keys(kept).length > 0) condition[operator] = kept;
  }
  const { Condition: _dropped, ...rest } = statement;
  return Object.keys(condition).length > 0 ? ({ ...rest, Condition: condition } as PolicyStatement) : rest;
}

interface ReadStatement {
  Effect?: unknown;
  Principal?: unknown;
  Action?: unknown;
  Resource?: unknown;
}

function principalMatches(principal: unknown, names: readonly string[]): boolean {
  if (principal === '*') return true;
  const aws = (principal as { AWS?: unknown } | undefined)?.AWS;
  return asList(aws).some((entry) => entry === '*' || names.includes(entry));
}

const covers = (statement: ReadStatement, names: readonly string[], action: string, resource: string) =>
  principalMatches(statement.Principal, names) &&
  asList(statement.Action).some((pattern) => matchesWildcard(pattern.toLowerCase(), action.toLowerCase())) &&
  asList(statement.Resource).some((pattern) => matchesWildcard(pattern, resource));

/**
 * Whether a bucket policy already admits the role for every action on every resource of `wanted`: an
 * Allow naming the role, its account (root or id) or anyone, and no Deny doing the same. Simple on
 * purpose: conditions, NotAction, NotPrincipal and NotResource are not evaluated, so an answer of
 * true means "looks admitted", not a proof (verification is the proof). Null: not a readable policy.
 */
export function bucketPolicyAdmits(policyText: string | null, wanted: readonly BucketPolicyStatement[], accountId: string): boolean | null {
  if (policyText === null) return wanted.length === 0;
  let statements: ReadStatement[];
  try {
    const parsed = JSON.parse(policyText) as { Statement?: unknown };
    statements = (Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement]).filter(Boolean) as ReadStatement[];
  } catch {
    return null;
  }
  return wanted.every((statement) => {
    const roleArn = statement.Principal.AWS;
    const partition = roleArn.split(':')[1];
    const names = [roleArn, accountId, `arn:${partition}:iam::${accountId}:root`];
    return asList(statement.Action).every((action) =>
      asList(statement.Resource).every(
        (resource) =>
          statements.some((candidate) => candidate.Effect === 'Allow' && covers(candidate, names, action, resource)) &&
          !statements.some((candidate) => candidate.Effect === 'Deny' && covers(candidate, names, action, resource)),
      ),
    );
  });
}
