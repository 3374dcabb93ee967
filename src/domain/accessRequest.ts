import * as z from 'zod';
import {
  BucketNameSchema,
  ClusterNameSchema,
  KeyPrefixSchema,
  ManagedPolicyArnSchema,
  NamespaceNameSchema,
  ServiceAccountNameSchema,
} from './names';

/** How much of a bucket a grant opens. */
export const S3AccessLevel = { Read: 'read', Write: 'write', ReadWrite: 'read-write', List: 'list' } as const;
export type S3AccessLevel = (typeof S3AccessLevel)[keyof typeof S3AccessLevel];

/** How a pod receives the role. Only IRSA is built; Pod Identity is reserved. */
export const Mechanism = { Irsa: 'irsa', PodIdentity: 'pod-identity' } as const;
export type Mechanism = (typeof Mechanism)[keyof typeof Mechanism];

/** Access to one bucket, optionally narrowed to a key prefix. */
export const S3GrantSchema = z
  .object({
    type: z.literal('s3'),
    bucket: BucketNameSchema,
    prefix: KeyPrefixSchema.optional(),
    level: z.enum([S3AccessLevel.Read, S3AccessLevel.Write, S3AccessLevel.ReadWrite, S3AccessLevel.List]),
  })
  .strict()
  .meta({ id: 'S3Grant', description: 'Access to one S3 bucket, optionally narrowed to a key prefix.' });
export type S3Grant = z.infer<typeof S3GrantSchema>;

/** Attachment of an IAM managed policy from the broker's allow-list. */
export const ManagedPolicyGrantSchema = z
  .object({ type: z.literal('managed-policy'), arn: ManagedPolicyArnSchema })
  .strict()
  .meta({ id: 'ManagedPolicyGrant', description: "An IAM managed policy from the broker's allow-list." });
export type ManagedPolicyGrant = z.infer<typeof ManagedPolicyGrantSchema>;

export const GrantSchema = z.discriminatedUnion('type', [S3GrantSchema, ManagedPolicyGrantSchema]);
export type Grant = z.infer<typeof GrantSchema>;

/**
 * A pattern of ServiceAccount names for the trust policy's `sub` (IAM `StringLike`: `*` and `?`).
 * It must start with three literal characters so that it can never mean "every ServiceAccount".
 */
export const ServiceAccountPatternSchema = z
  .string()
  .max(253)
  .regex(/^[a-z0-9][-a-z0-9.]{2,}[-a-z0-9.*?]*$/, 'must be three or more name characters followed by name characters, "*" or "?"')
  .refine((pattern) => /[*?]/.test(pattern), 'must contain "*" or "?" (use serviceAccount alone for an exact name)')
  .refine((pattern) => (pattern.match(/\*/g) ?? []).length <= 4, 'must contain at most four "*"');

/** Optional ServiceAccount annotations the EKS pod identity webhook understands. */
export const ManifestOptionsSchema = z
  .object({
    stsRegionalEndpoints: z.boolean().optional(),
    tokenExpirationSeconds: z.number().int().min(600).max(86_400).optional(),
  })
  .strict()
  .meta({ id: 'ManifestOptions' });
export type ManifestOptions = z.infer<typeof ManifestOptionsSchema>;

/** How the ServiceAccount reaches the cluster: returned as YAML, or applied by the broker. */
export const Delivery = { Manifest: 'manifest', Apply: 'apply' } as const;
export type Delivery = (typeof Delivery)[keyof typeof Delivery];

/** The most grants one request may hold; sized so that any valid request fits IAM's 6,144 limit. */
export const MAX_GRANTS_PER_REQUEST = 8;

/** What a requester asks for: a workload identity and the access it needs. */
export const AccessRequestSchema = z
  .object({
    cluster: ClusterNameSchema,
    namespace: NamespaceNameSchema,
    serviceAccount: ServiceAccountNameSchema,
    serviceAccountPattern: ServiceAccountPatternSchema.optional(),
    mechanism: z.enum([Mechanism.Irsa, Mechanism.PodIdentity]).default(Mechanism.Irsa),
    grants: z.array(GrantSchema).min(1).max(MAX_GRANTS_PER_REQUEST),
    manifest: ManifestOptionsSchema.optional(),
    delivery: z.enum([Delivery.Manifest, Delivery.Apply]).default(Delivery.Manifest),
    /** Take over an existing ServiceAccount the broker did not create (only where config allows). */
    adoptExistingServiceAccount: z.boolean().default(false),
    justification: z.string().min(1).max(1000).optional(),
    ticket: z
      .string()
      .max(128)
      .regex(/^[A-Za-z0-9._:#/-]+$/, 'must hold only letters, digits and ._:#/-')
      .optional(),
    durationHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 366)
      .optional(),
  })
  .strict()
  .meta({ id: 'AccessRequest', description: 'A workload identity and the AWS access it needs.' });
export type AccessRequest = z.infer<typeof AccessRequestSchema>;
export type AccessRequestInput = z.input<typeof AccessRequestSchema>;
