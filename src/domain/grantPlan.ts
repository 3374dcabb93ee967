import * as z from 'zod';
import { Mechanism, type AccessRequest } from './accessRequest';
import { arns, issuerHostPath } from './arns';
import type { BrokerConfig, ClusterConfig } from './brokerConfig';
import type { BucketFacts } from './bucketFacts';
import { assessBuckets, BucketPreflightSchema, withBucketPolicies } from './bucketPreflight';
import { checkIamLimits, IamLimits } from './checkIamLimits';
import { ValidationError } from './errors';
import { makePermissionPolicy } from './makePermissionPolicy';
import { bucketAccountOf } from './brokerConfig';
import { makeRoleName } from './makeRoleName';
import { makeServiceAccountManifest } from './makeServiceAccountManifest';
import { makeTags, TagSchema } from './makeTags';
import { makeTrustPolicy, serviceAccountSubject } from './makeTrustPolicy';
import { accountOfArn, partitionOfArn } from './names';
import { matchesWildcard } from './wildcardMatch';
import { PolicyDocumentSchema, policySize } from './policyDocument';

const UsageSchema = z.object({ used: z.number().int(), limit: z.number().int() });

/** Everything the broker would create for a request, as plain data; dry runs return it as is. */
export const GrantPlanSchema = z
  .object({
    cluster: z.object({
      name: z.string(),
      region: z.string(),
      accountId: z.string(),
      partition: z.string(),
      oidcIssuer: z.string(),
      oidcProviderArn: z.string(),
    }),
    subject: z.string().meta({ description: 'The `sub` the trust policy admits (a pattern under StringLike when one was asked for).' }),
    role: z.object({
      name: z.string(),
      path: z.string(),
      arn: z.string(),
      permissionsBoundaryArn: z.string(),
      maxSessionDurationSeconds: z.number().int(),
      trustPolicy: PolicyDocumentSchema,
      tags: z.array(TagSchema),
    }),
    permissionPolicy: z
      .object({ name: z.string(), path: z.string(), arn: z.string(), document: PolicyDocumentSchema, tags: z.array(TagSchema) })
      .nullable()
      .meta({ description: 'The customer-managed policy for S3 grants; null when the request holds none.' }),
    managedPolicyArns: z.array(z.string()),
    buckets: z
      .array(BucketPreflightSchema)
      .optional()
      .meta({ description: "The pre-flight of each S3 grant's bucket; absent where config turns it off." }),
    serviceAccount: z.object({
      manifest: z.record(z.string(), z.unknown()),
      yaml: z.string(),
      podSpec: z.object({ serviceAccountName: z.string() }),
      podSpecYaml: z.string(),
    }),
    usage: z.object({
      roleNameLength: UsageSchema,
      trustPolicySize: UsageSchema,
      permissionPolicySize: UsageSchema.nullable(),
      tags: UsageSchema,
    }),
  })
  .meta({ id: 'GrantPlan' });
export type GrantPlan = z.infer<typeof GrantPlanSchema>;

/** Stands for the request id in dry-run plans, which have none yet. */
export const PLANNED_REQUEST_ID = 'REQUEST-ID';

/**
 * Each grant has a policy of its own on the workload's role, named after the role and the grant
 * (at most 64 + 1 + 36 characters, within IAM's 128).
 */
export function grantPolicyName(roleName: string, requestId: string = PLANNED_REQUEST_ID): string {
  return `${roleName}.${requestId}`;
}

export interface GrantPlanInput {
  request: AccessRequest;
  cluster: ClusterConfig;
  /** The cluster's issuer URL, from config or DescribeCluster. */
  issuerUrl: string;
  config: BrokerConfig;
  serviceAccountTemplate: string;
  requestId?: string;
  /** What the bucket pre-flight read, per bucket; absent when it did not run. */
  bucketFacts?: ReadonlyMap<string, BucketFacts>;
}

/**
 * Whether config allows what the request asks for: the mechanism, patterns, delivery, adoption and
 * each managed policy (allow-list, account, partition). Checked at plan and submit, and again at
 * approval and provisioning, so a grant config no longer allows is never created.
 */
export function assertRequestFitsConfig(request: AccessRequest, cluster: ClusterConfig, config: BrokerConfig): void {
  if (request.mechanism !== Mechanism.Irsa) {
    throw new ValidationError('MECHANISM_NOT_SUPPORTED', `mechanism "${request.mechanism}" is reserved and not supported yet; use "irsa"`);
  }
  if (request.serviceAccountPattern !== undefined) {
    if (!config.allowSubjectPatterns) {
      throw new ValidationError('SUBJECT_PATTERNS_NOT_ALLOWED', 'this broker does not allow ServiceAccount patterns in trust policies');
    }
    if (!matchesWildcard(request.serviceAccountPattern, request.serviceAccount)) {
      throw new ValidationError(
        'SERVICE_ACCOUNT_PATTERN_MISMATCH',
        `serviceAccount "${request.serviceAccount}" does not match serviceAccountPattern "${request.serviceAccountPattern}"`,
      );
    }
  }
  if (request.delivery === 'apply' && !config.delivery.allowApply) {
    throw new ValidationError(
      'DELIVERY_APPLY_NOT_ALLOWED',
      'this broker returns manifests but does not apply them; use delivery "manifest"',
    );
  }
  if (request.adoptExistingServiceAccount && !config.delivery.allowAdoption) {
    throw new ValidationError('ADOPTION_NOT_ALLOWED', 'this broker does not take over existing ServiceAccounts');
  }
  for (const grant of request.grants) {
    if (grant.type !== 'managed-policy') continue;
    if (!config.allowedManagedPolicyArns.includes(grant.arn)) {
      throw new ValidationError('MANAGED_POLICY_NOT_ALLOWED', `managed policy ${grant.arn} is not on the broker's allow-list`, {
        details: { arn: grant.arn, allowed: config.allowedManagedPolicyArns },
      });
    }
    const policyAccount = accountOfArn(grant.arn);
    if (policyAccount !== 'aws' && policyAccount !== cluster.accountId) {
      throw new ValidationError(
        'MANAGED_POLICY_WRONG_ACCOUNT',
        `managed policy ${grant.arn} is not in the cluster's account ${cluster.accountId}`,
      );
    }
    if (partitionOfArn(grant.arn) !== cluster.partition) {
      throw new ValidationError(
        'MANAGED_POLICY_WRONG_PARTITION',
        `managed policy ${grant.arn} is not in the cluster's partition ${cluster.partition}`,
      );
    }
  }
}

/**
 * Plans a grant: role name, permission and trust policies, tags and ServiceAccount manifest, all
 * checked against IAM's limits. Pure: the same input always gives the same plan.
 */
export function makeGrantPlan(input: GrantPlanInput): GrantPlan {
  const { request, cluster, config } = input;
  assertRequestFitsConfig(request, cluster, config);

  const { partition, accountId } = cluster;
  const roleName = makeRoleName({
    prefix: config.roleNamePrefix,
    cluster: cluster.name,
    namespace: request.namespace,
    serviceAccount: request.serviceAccount,
  });
  const roleArn = arns.role(partition, accountId, config.rolePath, roleName);
  const trustPolicy = makeTrustPolicy({
    partition,
    accountId,
    issuerUrl: input.issuerUrl,
    namespace: request.namespace,
    serviceAccount: request.serviceAccount,
    serviceAccountPattern: request.serviceAccountPattern,
  });
  const assessment = input.bucketFacts && assessBuckets(input.bucketFacts, cluster, config);
  const permissionPolicyDocument = makePermissionPolicy(
    request.grants,
    partition,
    (bucket) => bucketAccountOf(config, cluster, bucket),
    assessment?.keys,
  );
  // The role belongs to the workload, whose grants come and go: it carries no grant's id. Each
  // grant's policy does, so that removing one grant can prove which policy is its own.
  const workloadTags = {
    cluster: cluster.name,
    namespace: request.namespace,
    serviceAccount: request.serviceAccount,
    extraTags: config.extraTags,
  };
  const tags = makeTags(workloadTags);
  const policyTags = makeTags({ ...workloadTags, requestId: input.requestId });
  const policyName = grantPolicyName(roleName, input.requestId);
  checkIamLimits(
    { roleName, rolePath: config.rolePath, trustPolicy, permissionPolicy: permissionPolicyDocument, tags: policyTags },
    config.trustPolicySizeLimit,
  );

  const manifest = makeServiceAccountManifest(input.serviceAccountTemplate, {
    name: request.serviceAccount,
    namespace: request.namespace,
    roleArn,
    requestId: input.requestId,
    options: request.manifest,
  });
  const issuer = issuerHostPath(input.issuerUrl);
  const managedPolicyArns = [...new Set(request.grants.flatMap((grant) => (grant.type === 'managed-policy' ? [grant.arn] : [])))].sort();

  return {
    cluster: {
      name: cluster.name,
      region: cluster.region,
      accountId,
      partition,
      oidcIssuer: `https://${issuer}`,
      oidcProviderArn: arns.oidcProvider(partition, accountId, issuer),
    },
    subject: serviceAccountSubject(request.namespace, request.serviceAccountPattern ?? request.serviceAccount),
    role: {
      name: roleName,
      path: config.rolePath,
      arn: roleArn,
      permissionsBoundaryArn: cluster.permissionsBoundaryArn ?? config.permissionsBoundaryArn,
      maxSessionDurationSeconds: config.maxSessionDurationSeconds,
      trustPolicy,
      tags,
    },
    permissionPolicy: permissionPolicyDocument && {
      name: policyName,
      path: config.rolePath,
      arn: arns.policy(partition, accountId, config.rolePath, policyName),
      document: permissionPolicyDocument,
      tags: policyTags,
    },
    managedPolicyArns,
    ...(assessment && input.bucketFacts
      ? {
          buckets: withBucketPolicies(assessment.buckets, input.bucketFacts, {
            policy: permissionPolicyDocument,
            partition,
            roleArn,
            clusterAccountId: accountId,
          }),
        }
      : {}),
    serviceAccount: { manifest: manifest.object, yaml: manifest.yaml, podSpec: manifest.podSpec, podSpecYaml: manifest.podSpecYaml },
    usage: {
      roleNameLength: { used: roleName.length, limit: IamLimits.roleName },
      trustPolicySize: { used: policySize(trustPolicy), limit: config.trustPolicySizeLimit },
      permissionPolicySize: permissionPolicyDocument && { used: policySize(permissionPolicyDocument), limit: IamLimits.managedPolicySize },
      tags: { used: policyTags.length, limit: IamLimits.tagsPerResource },
    },
  };
}
