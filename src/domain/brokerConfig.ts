import * as z from 'zod';
import { ApprovalRuleSchema } from './approvalRules';
import { PeopleSchema } from './person';
import { matchesWildcard } from './wildcardMatch';
import {
  AccountIdSchema,
  ClusterNameSchema,
  ManagedPolicyArnSchema,
  PartitionSchema,
  accountOfArn,
  partitionOfArn,
  type Partition,
} from './names';

/** IAM's own path grammar: "/" or "/segments/" of printable ASCII. */
const IAM_PATH = /^\/([\x21-\x7E]+\/)?$/;
const IAM_NAME_PREFIX = /^[\w+=,.@-]{0,24}$/;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;

/** An S3 bucket name, or a glob over bucket names (`*`, `?`). */
const BucketGlobSchema = z.string().regex(/^[a-z0-9.*?-]{1,63}$/, 'must be a bucket name or a glob over bucket names');

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
    /** Identities with the same email (JWT claim, Slack profile, Slack mapping) are one person. */
    joinByEmail: z.boolean().default(true),
    /** Person id → the JWT subjects, emails, Slack users and IAM principals that are this one person. */
    people: PeopleSchema.default({}),
    /** Members read every request, its events and manifest, with other people's emails and groups. */
    auditorGroups: z.array(z.string().min(1)).default([]),
  })
  .strict();
export type IdentityConfig = z.infer<typeof IdentityConfigSchema>;
export type IdentityConfigInput = z.input<typeof IdentityConfigSchema>;

/** Whether approval creates IAM objects, and what the broker may do on its own. */
export const ProvisioningConfigSchema = z
  .object({
    /** Off: approved grants are plan-only (nothing is created in AWS). */
    enabled: z.boolean().default(false),
    /** Create a cluster's IAM OIDC provider when it is missing (otherwise fail, saying how to fix it). */
    createOidcProvider: z.boolean().default(false),
    /** Let the reconciler put drifted trust, policy and attachments back (otherwise it only reports). */
    repairDrift: z.boolean().default(false),
    /**
     * How long a failed grant keeps what it created, for someone to retry it; then the sweep expires
     * it and removes its objects, so no role outlives its grant.
     */
    failedGrantHours: z.number().int().min(1).max(720).default(24),
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

/** What the broker tells people on its own, beyond answers to what they did. */
export const NotificationsConfigSchema = z
  .object({
    /** How long before a grant expires its requester is warned (once per expiry), by the expiry sweep. */
    expiryWarningHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(24),
  })
  .strict();
export type NotificationsConfig = z.infer<typeof NotificationsConfigSchema>;

/**
 * The partition a region belongs to, from its name: China's regions are `cn-*`, GovCloud's
 * `us-gov-*`; the isolated partitions (`*-iso*-*`) are not ones the broker plans for.
 */
export function partitionOfRegion(region: string): Partition | undefined {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (/^[a-z]{2}-iso[a-z]?-/.test(region)) return undefined;
  return 'aws';
}

/**
 * What IAM accepts as an OIDC provider URL: `https://host[/path]`. IAM keys the provider and the
 * trust conditions by host and path only, so a port, query, fragment or userinfo would name a
 * provider that can never match the tokens the cluster issues.
 */
const OidcIssuerSchema = z.url({ protocol: /^https$/, hostname: z.regexes.hostname }).superRefine((text, context) => {
  const url = new URL(text);
  const problems = [
    url.username || url.password ? 'userinfo' : undefined,
    url.port || /^https:\/\/[^/]*:/.test(text) ? 'a port' : undefined,
    url.search || text.includes('?') ? 'a query' : undefined,
    url.hash || text.includes('#') ? 'a fragment' : undefined,
  ].filter(Boolean);
  if (problems.length > 0) context.addIssue({ code: 'custom', message: `must be https://host[/path]: remove ${problems.join(', ')}` });
  if (text.endsWith('/')) context.addIssue({ code: 'custom', message: 'must not end with "/"' });
});

/** An IAM role ARN; partition and account are checked against the clusters by the config below. */
const RoleArnSchema = z
  .string()
  .regex(/^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/, 'must be the ARN of an IAM role');

/** How the broker acts in one AWS account: through a provisioner role it assumes there. */
export const AccountConfigSchema = z
  .object({
    /** Default: `<rolePath>irsa-broker-provisioner` in that account (what deploy/spoke-account.yaml creates). */
    provisionerRoleArn: RoleArnSchema.optional(),
    /** Sent as sts:ExternalId when the spoke's trust policy asks for one. */
    externalId: z
      .string()
      .regex(/^[\w+=,.@:\/-]{2,1224}$/, 'must be 2 to 1224 of the characters STS allows in an external id')
      .optional(),
  })
  .strict();
export type AccountConfig = z.infer<typeof AccountConfigSchema>;

/** One EKS cluster the broker may grant access in. */
export const ClusterConfigSchema = z
  .object({
    name: ClusterNameSchema,
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1'),
    accountId: AccountIdSchema,
    partition: PartitionSchema.default('aws'),
    /** The cluster's OIDC issuer URL; when absent the broker reads it from DescribeCluster. */
    oidcIssuer: OidcIssuerSchema.optional(),
    /** Overrides the broker-wide boundary, for clusters in another account or partition. */
    permissionsBoundaryArn: PermissionsBoundaryArnSchema.optional(),
  })
  .strict();
export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;

/** Paths AWS itself fills with roles (service-linked, console service roles, SSO): never the broker's. */
const AWS_ROLE_PATHS = ['/aws-service-role/', '/service-role/', '/aws-reserved/'];

/**
 * Why a role path is unsafe for the broker, or undefined. The broker may create, change and delete
 * every role and policy under its path, so the path must hold nothing but what the broker made:
 * "/" holds every role and policy in the account (the broker's own role and boundary included).
 */
export function unsafeRolePathReason(rolePath: string): string | undefined {
  if (rolePath === '/') {
    return 'must not be "/": the broker may change every role and policy under its path, and "/" holds all of them (its own role and its boundary included); use a path of its own such as /irsa-broker/';
  }
  const reserved = AWS_ROLE_PATHS.find((prefix) => rolePath.toLowerCase().startsWith(prefix));
  return reserved ? `must not be under ${reserved}, where AWS keeps roles of its own` : undefined;
}

/**
 * Whether a managed policy lives under the role path, i.e. among the policies the broker's own
 * role may write (`policy<rolePath>*`). Compared case-insensitively, to err on the safe side.
 */
export function isUnderRolePath(policyArn: string, rolePath: string): boolean {
  const nameWithPath = policyArn.replace(/^arn:[^:]+:iam::[^:]+:policy/, '');
  return accountOfArn(policyArn) !== 'aws' && nameWithPath.toLowerCase().startsWith(rolePath.toLowerCase());
}

/** The broker's configuration file, parsed once per cold start. */
export const BrokerConfigSchema = z
  .object({
    clusters: z.array(ClusterConfigSchema).min(1),
    /**
     * The account the broker runs in (the hub). Needed once clusters span accounts; with all of them
     * in one account, that account is the hub.
     */
    hubAccountId: AccountIdSchema.optional(),
    /**
     * Per account id: how the broker acts there. Clusters in the hub's account use the broker's own
     * role unless their account is listed; every other account's clusters go through a provisioner role.
     */
    accounts: z.record(AccountIdSchema, AccountConfigSchema).default({}),
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
    /**
     * Bucket (or glob) → the account that owns it, for buckets outside the cluster's account. Grants
     * apply only while that account owns the bucket (`s3:ResourceAccount`), and the bucket pre-flight
     * admits only that owner (`ExpectedBucketOwner`); unlisted buckets must be the cluster's
     * account's own.
     */
    bucketAccounts: z.record(BucketGlobSchema, AccountIdSchema).default({}),
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
    provisioning: ProvisioningConfigSchema.default({ enabled: false, createOidcProvider: false, repairDrift: false, failedGrantHours: 24 }),
    delivery: DeliveryConfigSchema.default({ allowApply: false, createNamespaces: false, allowAdoption: false }),
    /**
     * Read each S3 grant's bucket before granting (exists, region, owner, default encryption). Off
     * only where the broker cannot reach S3 (the local `npm start` has no AWS account).
     */
    bucketPreflight: z.boolean().default(true),
    verification: VerificationConfigSchema.default({ afterProvisioning: true, writeProbe: false }),
    slack: SlackConfigSchema.default({ users: {}, groupsByEmail: {} }),
    notifications: NotificationsConfigSchema.default({ expiryWarningHours: 24 }),
    identity: IdentityConfigSchema.default({
      groupsClaim: 'groups',
      emailClaim: 'email',
      iamPrincipals: [],
      joinByEmail: true,
      people: {},
      auditorGroups: [],
    }),
  })
  .strict()
  .superRefine((config, context) => {
    const unsafePath = unsafeRolePathReason(config.rolePath);
    if (unsafePath) context.addIssue({ code: 'custom', path: ['rolePath'], message: unsafePath });
    const boundaries: [string, (string | number)[]][] = [
      [config.permissionsBoundaryArn, ['permissionsBoundaryArn']],
      ...config.clusters.flatMap((cluster, index): [string, (string | number)[]][] =>
        cluster.permissionsBoundaryArn ? [[cluster.permissionsBoundaryArn, ['clusters', index, 'permissionsBoundaryArn']]] : [],
      ),
    ];
    for (const [boundary, path] of boundaries) {
      if (!unsafePath && isUnderRolePath(boundary, config.rolePath)) {
        context.addIssue({
          code: 'custom',
          path,
          message: `the permissions boundary ${boundary} is under the broker's role path ${config.rolePath}, where the broker may write policies: it could rewrite the boundary that fences its own roles; keep the boundary outside that path`,
        });
      }
    }
    const ruleIds = config.approvalRules.map((rule) => rule.id);
    ruleIds.forEach((id, index) => {
      if (ruleIds.indexOf(id) !== index)
        context.addIssue({ code: 'custom', path: ['approvalRules', index, 'id'], message: `duplicates rule id "${id}"` });
    });
    refineAccounts(config, context);
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

type RefinementContext = z.RefinementCtx;
type ParsedConfig = Pick<BrokerConfig, 'clusters' | 'hubAccountId' | 'accounts'>;

/**
 * What cannot work across accounts and partitions: STS cannot assume a role in another partition,
 * so one deployment serves one partition; a provisioner role must live in the account it serves.
 */
function refineAccounts(config: ParsedConfig, context: RefinementContext): void {
  const first = config.clusters[0];
  config.clusters.forEach((cluster, index) => {
    const regionPartition = partitionOfRegion(cluster.region);
    if (regionPartition !== cluster.partition) {
      context.addIssue({
        code: 'custom',
        path: ['clusters', index, 'region'],
        message: regionPartition
          ? `region ${cluster.region} is in partition ${regionPartition}, not the cluster's partition ${cluster.partition}; set partition: ${regionPartition} or pick a region of ${cluster.partition}`
          : `region ${cluster.region} is in none of the partitions aws, aws-cn, aws-us-gov`,
      });
    }
    if (first && index > 0 && cluster.partition !== first.partition) {
      context.addIssue({
        code: 'custom',
        path: ['clusters', index, 'partition'],
        message: `is ${cluster.partition}, but cluster ${first.name} is in ${first.partition}: roles cannot be assumed across partitions, so deploy one broker per partition`,
      });
    }
  });
  const clusterAccounts = [...new Set(config.clusters.map((cluster) => cluster.accountId))];
  if (!config.hubAccountId && clusterAccounts.length > 1) {
    context.addIssue({
      code: 'custom',
      path: ['hubAccountId'],
      message: `is required when clusters are in several accounts (${clusterAccounts.join(', ')}): set it to the account the broker is deployed in`,
    });
  }
  for (const [accountId, account] of Object.entries(config.accounts)) {
    if (!clusterAccounts.includes(accountId)) {
      context.addIssue({
        code: 'custom',
        path: ['accounts', accountId],
        message: `no configured cluster is in account ${accountId}: remove this entry (the broker may assume only roles it uses)`,
      });
    }
    const arn = account.provisionerRoleArn;
    if (!arn) continue;
    if (accountOfArn(arn) !== accountId) {
      context.addIssue({
        code: 'custom',
        path: ['accounts', accountId, 'provisionerRoleArn'],
        message: `${arn} is in account ${accountOfArn(arn)}: a provisioner role acts only in its own account, so use one in ${accountId}`,
      });
    }
    if (first && partitionOfArn(arn) !== first.partition) {
      context.addIssue({
        code: 'custom',
        path: ['accounts', accountId, 'provisionerRoleArn'],
        message: `${arn} is not in the clusters' partition ${first.partition}`,
      });
    }
  }
}
export type BrokerConfigInput = z.input<typeof BrokerConfigSchema>;

/**
 * The account that must own a bucket: the one config names for exactly that bucket, else for the
 * first glob (in file order) that matches it, else the cluster's own.
 */
export function bucketAccountOf(
  config: Pick<BrokerConfig, 'bucketAccounts'>,
  cluster: Pick<ClusterConfig, 'accountId'>,
  bucket: string,
): string {
  // Own keys only: a bucket may be named "constructor".
  if (Object.hasOwn(config.bucketAccounts, bucket)) return config.bucketAccounts[bucket]!;
  const glob = Object.keys(config.bucketAccounts).find((pattern) => matchesWildcard(pattern, bucket));
  return glob ? config.bucketAccounts[glob]! : cluster.accountId;
}

/** Finds a configured cluster by its exact name. */
export function findCluster(config: BrokerConfig, name: string): ClusterConfig | undefined {
  return config.clusters.find((cluster) => cluster.name === name);
}
