import * as z from 'zod';
import { ApprovalRuleSchema } from './approvalRules';
import { AccountIdSchema, ClusterNameSchema, ManagedPolicyArnSchema, PartitionSchema, accountOfArn, partitionOfArn } from './names';

/** IAM's own path grammar: "/" or "/segments/" of printable ASCII. */
const IAM_PATH = /^\/([\x21-\x7E]+\/)?$/;
const IAM_NAME_PREFIX = /^[\w+=,.@-]{0,24}$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

const PermissionsBoundaryArnSchema = z
  .string()
  .regex(/^arn:(aws|aws-cn|aws-us-gov):iam::(aws|\d{12}):policy\/.+$/, 'must be the ARN of an IAM managed policy');

/** How callers are identified: JWT claim names, and groups for IAM (SigV4) principals. */
export const IdentityConfigSchema = z
  .object({
    groupsClaim: z.string().min(1).default('groups'),
    emailClaim: z.string().min(1).default('email'),
    /** IAM principals (role ARNs; assumed-role sessions match their role) and the groups they act as. */
    iamPrincipals: z
      .array(z.object({ arn: z.string().regex(/^arn:[a-z-]+:iam::\d{12}:(role|user)\/.+$/), groups: z.array(z.string()).min(1) }).strict())
      .default([]),
  })
  .strict();
export type IdentityConfig = z.infer<typeof IdentityConfigSchema>;

/** Whether approval creates IAM objects, and what the broker may do on its own. */
export const ProvisioningConfigSchema = z
  .object({
    /** Off: approved grants are plan-only (nothing is created in AWS). */
    enabled: z.boolean().default(false),
    /** Create a cluster's IAM OIDC provider when it is missing (otherwise fail, saying how to fix it). */
    createOidcProvider: z.boolean().default(false),
    /** Let the reconciler put drifted trust, policy and attachments back (otherwise it only reports). */
    repairDrift: z.boolean().default(false),
  })
  .strict();
export type ProvisioningConfig = z.infer<typeof ProvisioningConfigSchema>;

/** Whether and how the broker may put ServiceAccounts into clusters itself. */
export const DeliveryConfigSchema = z
  .object({
    /** Requests may ask for `delivery: apply`. */
    allowApply: z.boolean().default(false),
    /** Create a missing namespace when applying (otherwise the apply fails, naming it). */
    createNamespaces: z.boolean().default(false),
    /** Requests may adopt an existing ServiceAccount the broker did not create. */
    allowAdoption: z.boolean().default(false),
  })
  .strict();
export type DeliveryConfig = z.infer<typeof DeliveryConfigSchema>;

/** Proving grants the way the pod uses them. */
export const VerificationConfigSchema = z
  .object({
    /** Verify each grant right after provisioning (on demand it always can be). */
    afterProvisioning: z.boolean().default(true),
    /** Prove writes by putting and deleting a probe object inside the prefix (it touches the bucket). */
    writeProbe: z.boolean().default(false),
  })
  .strict();
export type VerificationConfig = z.infer<typeof VerificationConfigSchema>;

/** Slack: who is who. Secrets are not here: they come from the environment (SSM in deployment). */
export const SlackConfigSchema = z
  .object({
    /** Slack user id → identity; checked first. */
    users: z
      .record(
        z.string().regex(/^[UW][A-Z0-9]+$/, 'must be a Slack user id'),
        z.object({ subject: z.string().min(1), email: z.string().optional(), groups: z.array(z.string()) }).strict(),
      )
      .default({}),
    /** For users not listed above: their Slack email (users.info) → groups; the email is the subject. */
    groupsByEmail: z.record(z.string(), z.array(z.string())).default({}),
  })
  .strict();
export type SlackConfig = z.infer<typeof SlackConfigSchema>;

/** One EKS cluster the broker may grant access in. */
export const ClusterConfigSchema = z
  .object({
    name: ClusterNameSchema,
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
    accountId: AccountIdSchema,
    partition: PartitionSchema.default('aws'),
    /** The cluster's OIDC issuer URL; when absent the broker reads it from DescribeCluster. */
    oidcIssuer: z
      .url({ protocol: /^https$/, hostname: z.regexes.hostname })
      .refine((url) => !url.endsWith('/'), 'must not end with "/"')
      .optional(),
    /** Overrides the broker-wide boundary, for clusters in another account or partition. */
    permissionsBoundaryArn: PermissionsBoundaryArnSchema.optional(),
  })
  .strict();
export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;

/** The broker's configuration file, parsed once per cold start. */
export const BrokerConfigSchema = z
  .object({
    clusters: z.array(ClusterConfigSchema).min(1),
    rolePath: z.string().max(512).regex(IAM_PATH, 'must be "/" or "/segment/.../"').default('/irsa-broker/'),
    roleNamePrefix: z.string().regex(IAM_NAME_PREFIX, 'must be at most 24 of IAM name characters').default('irsa-'),
    permissionsBoundaryArn: PermissionsBoundaryArnSchema,
    maxSessionDurationSeconds: z.number().int().min(3600).max(43_200).default(3600),
    /** Added to every role and policy. The broker's own tags take 5 of IAM's 50. */
    extraTags: z
      .record(
        z
          .string()
          .regex(TAG_KEY, 'must be a valid IAM tag key')
          .refine((key) => !/^(aws:|irsa-broker:)/i.test(key), 'must not use the reserved prefixes "aws:" or "irsa-broker:"'),
        z.string().regex(TAG_VALUE, 'must be a valid IAM tag value'),
      )
      .refine((tags) => Object.keys(tags).length <= 45, 'must hold at most 45 tags')
      .default({}),
    allowedManagedPolicyArns: z.array(ManagedPolicyArnSchema).default([]),
    allowSubjectPatterns: z.boolean().default(false),
    /** IAM's default trust-policy quota is 2,048 characters; it can be raised to 4,096. */
    trustPolicySizeLimit: z.number().int().min(512).max(4096).default(2048),
    /**
     * IAM's quota of managed policies attached to one role in the clusters' accounts: 10 by default,
     * raisable to 20. Each grant's own policy counts, and each distinct allow-listed policy once.
     */
    managedPoliciesPerRole: z.number().int().min(1).max(20).default(10),
    /** Who may request where and who approves; the first rule matching cluster and namespace applies. */
    approvalRules: z.array(ApprovalRuleSchema).default([]),
    provisioning: ProvisioningConfigSchema.default({ enabled: false, createOidcProvider: false, repairDrift: false }),
    delivery: DeliveryConfigSchema.default({ allowApply: false, createNamespaces: false, allowAdoption: false }),
    /**
     * Read each S3 grant's bucket before granting (exists, region, owner, default encryption). Off
     * only where the broker cannot reach S3 (the local `npm start` has no AWS account).
     */
    bucketPreflight: z.boolean().default(true),
    /**
     * Buckets that may belong to another account: bucket name or pattern (`*`, `?`) → the owning
     * account. Any other bucket must be in the cluster's account.
     */
    bucketOwners: z.record(z.string().min(1), AccountIdSchema).default({}),
    verification: VerificationConfigSchema.default({ afterProvisioning: true, writeProbe: false }),
    slack: SlackConfigSchema.default({ users: {}, groupsByEmail: {} }),
    identity: IdentityConfigSchema.default({ groupsClaim: 'groups', emailClaim: 'email', iamPrincipals: [] }),
  })
  .strict()
  .superRefine((config, context) => {
    const ruleIds = config.approvalRules.map((rule) => rule.id);
    ruleIds.forEach((id, index) => {
      if (ruleIds.indexOf(id) !== index)
        context.addIssue({ code: 'custom', path: ['approvalRules', index, 'id'], message: `duplicates rule id "${id}"` });
    });
    const seen = new Set<string>();
    config.clusters.forEach((cluster, index) => {
      // Role names are case-insensitive in IAM, so cluster names must be too.
      const key = cluster.name.toLowerCase();
      if (seen.has(key)) {
        context.addIssue({
          code: 'custom',
          path: ['clusters', index, 'name'],
          message: `duplicates another cluster name (names are compared case-insensitively)`,
        });
      }
      seen.add(key);
      const boundary = cluster.permissionsBoundaryArn ?? config.permissionsBoundaryArn;
      const boundaryAccount = accountOfArn(boundary);
      // Only a well-formed account id can be compared; a malformed one is reported on its own.
      if (/^\d{12}$/.test(cluster.accountId) && boundaryAccount !== 'aws' && boundaryAccount !== cluster.accountId) {
        context.addIssue({
          code: 'custom',
          path: ['clusters', index, 'permissionsBoundaryArn'],
          message: `the permissions boundary ${boundary} is in account ${boundaryAccount}, not the cluster's account ${cluster.accountId}; give this cluster its own`,
        });
      }
      if (partitionOfArn(boundary) !== cluster.partition) {
        context.addIssue({
          code: 'custom',
          path: ['clusters', index, 'permissionsBoundaryArn'],
          message: `the permissions boundary ${boundary} is not in the cluster's partition ${cluster.partition}`,
        });
      }
    });
  });
export type BrokerConfig = z.infer<typeof BrokerConfigSchema>;
export type BrokerConfigInput = z.input<typeof BrokerConfigSchema>;

/** Finds a configured cluster by its exact name. */
export function findCluster(config: BrokerConfig, name: string): ClusterConfig | undefined {
  return config.clusters.find((cluster) => cluster.name === name);
}
