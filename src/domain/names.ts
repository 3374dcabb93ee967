import * as z from 'zod';

/**
 * Name rules for everything a request may name. They are strict on purpose: a name that passes
 * here can be dropped into an ARN, a policy condition or a tag without escaping, so wildcards
 * (`*`, `?`), ARN separators (`:`, `/`) and policy variables (`${...}`) can never be smuggled in.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const EKS_CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]*$/;
const S3_BUCKET_NAME = /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/;
const IPV4_LIKE = /^\d+\.\d+\.\d+\.\d+$/;
const S3_RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const S3_RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];
/** S3's "safe characters" for object keys, which need no escaping in an ARN or condition. */
const S3_KEY_PREFIX = /^[A-Za-z0-9!_.'()=-]+(\/[A-Za-z0-9!_.'()=-]+)*\/?$/;

/** A Kubernetes namespace: an RFC 1123 label. */
export const NamespaceNameSchema = z.string().max(63).regex(DNS1123_LABEL, 'must be an RFC 1123 label: lower-case letters, digits and "-"');

/** A Kubernetes ServiceAccount name: an RFC 1123 subdomain. */
export const ServiceAccountNameSchema = z
  .string()
  .max(253)
  .regex(DNS1123_SUBDOMAIN, 'must be an RFC 1123 subdomain: lower-case letters, digits, "-" and "."');

/** An EKS cluster name as EKS accepts it. */
export const ClusterNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(EKS_CLUSTER_NAME, 'must start with a letter or digit and hold only letters, digits, "-" and "_"');

/** An S3 general-purpose bucket name as S3 accepts it. */
export const BucketNameSchema = z
  .string()
  .min(3)
  .max(63)
  .regex(S3_BUCKET_NAME, 'must hold only lower-case letters, digits, "." and "-", starting and ending with a letter or digit')
  .refine((name) => !name.includes('..'), 'must not contain two adjacent periods')
  .refine((name) => !IPV4_LIKE.test(name), 'must not be formatted as an IP address')
  .refine((name) => !S3_RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix)), 'uses a prefix S3 reserves')
  .refine((name) => !S3_RESERVED_SUFFIXES.some((suffix) => name.endsWith(suffix)), 'uses a suffix S3 reserves');

/**
 * An object-key prefix: path segments of S3-safe characters, no leading "/", no empty, "." or ".."
 * segments. Normalized to end with "/" so that `reports` never also grants `reports-secret/`.
 */
/**
 * The longest key prefix a grant may name: sized so that eight read-write grants on 63-character
 * buckets, with their owner conditions, still fit IAM's 6,144-character managed-policy quota in the
 * longest partition (aws-cn).
 */
export const MAX_KEY_PREFIX_LENGTH = 112;

export const KeyPrefixSchema = z
  .string()
  .min(1)
  .max(MAX_KEY_PREFIX_LENGTH)
  .regex(S3_KEY_PREFIX, 'must be path segments of letters, digits and !_.\'()=- separated by "/"')
  .refine((prefix) => prefix.split('/').every((segment) => segment !== '.' && segment !== '..'), 'must not contain "." or ".." segments')
  .transform((prefix) => (prefix.endsWith('/') ? prefix : `${prefix}/`));

/** An AWS account id. */
export const AccountIdSchema = z.string().regex(/^\d{12}$/, 'must be 12 digits');

/** The AWS partitions the broker can plan for. */
export const Partition = { Aws: 'aws', AwsCn: 'aws-cn', AwsUsGov: 'aws-us-gov' } as const;
export type Partition = (typeof Partition)[keyof typeof Partition];
export const PartitionSchema = z.enum([Partition.Aws, Partition.AwsCn, Partition.AwsUsGov]);

/** The ARN of an IAM managed policy (AWS-managed or customer-managed). */
export const ManagedPolicyArnSchema = z
  .string()
  .max(2048)
  .regex(
    /^arn:(aws|aws-cn|aws-us-gov):iam::(aws|\d{12}):policy\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/,
    'must be the ARN of an IAM managed policy',
  );

/** Reads the partition out of an ARN the schemas above already accepted. */
export function partitionOfArn(arn: string): string {
  return arn.split(':')[1] ?? '';
}

/** Reads the account (or "aws" for AWS-managed policies) out of an ARN the schemas above accepted. */
export function accountOfArn(arn: string): string {
  return arn.split(':')[4] ?? '';
}
