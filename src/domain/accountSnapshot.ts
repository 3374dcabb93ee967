import * as z from 'zod';
import { BROKER_TAG_PREFIX, TagSchema } from './makeTags';
import { isManagedByBroker } from './ownership';
import { PolicyDocumentSchema } from './policyDocument';

/** A role as GetAccountAuthorizationDetails lists it: trust, boundary, tags and attachments in one item. */
export const RoleDetailSchema = z.object({
  name: z.string(),
  path: z.string(),
  arn: z.string(),
  trustPolicy: PolicyDocumentSchema,
  tags: z.array(TagSchema),
  permissionsBoundaryArn: z.string().optional(),
  attachedPolicyArns: z.array(z.string()),
});
export type RoleDetail = z.infer<typeof RoleDetailSchema>;

/**
 * A customer-managed policy as GetAccountAuthorizationDetails lists it. It carries no tags (IAM's
 * ManagedPolicyDetail has none): ownership of a policy is proved with GetPolicy before a repair.
 */
export const PolicyDetailSchema = z.object({
  arn: z.string(),
  path: z.string(),
  defaultVersionId: z.string(),
  defaultDocument: PolicyDocumentSchema,
});
export type PolicyDetail = z.infer<typeof PolicyDetailSchema>;

/** What one read of an account's authorization details returned, all pages together. */
export interface AuthorizationDetails {
  roles: RoleDetail[];
  policies: PolicyDetail[];
}

/** The broker's part of one account at one moment: roles by name and policies by ARN under its path. */
export interface AccountSnapshot {
  accountId: string;
  roles: ReadonlyMap<string, RoleDetail>;
  policies: ReadonlyMap<string, PolicyDetail>;
}

/**
 * Keeps what lies under the broker's path. GetAccountAuthorizationDetails has no path filter, so
 * the whole account is read and everything else is dropped here, before anything looks at it.
 */
export function makeAccountSnapshot(accountId: string, details: AuthorizationDetails, rolePath: string): AccountSnapshot {
  const under = (path: string) => path.startsWith(rolePath);
  return {
    accountId,
    roles: new Map(details.roles.filter((role) => under(role.path)).map((role) => [role.name, role])),
    policies: new Map(details.policies.filter((policy) => under(policy.path)).map((policy) => [policy.arn, policy])),
  };
}

/** A broker-tagged role nobody's record names: left behind by a restore or a deleted record. */
export const OrphanRoleSchema = z.object({
  name: z.string(),
  arn: z.string(),
  /** The workload its tags name, `<cluster>/<namespace>/<serviceAccount>`, as far as they name one. */
  taggedWorkload: z.string(),
});
export type OrphanRole = z.infer<typeof OrphanRoleSchema>;

/** Roles carrying the broker's managed-by tag whose names no workload or active grant knows, by name. */
export function findOrphanRoles(snapshot: AccountSnapshot, knownRoleNames: ReadonlySet<string>): OrphanRole[] {
  const tag = (role: RoleDetail, key: string) => role.tags.find((entry) => entry.Key === `${BROKER_TAG_PREFIX}${key}`)?.Value ?? '?';
  return [...snapshot.roles.values()]
    .filter((role) => isManagedByBroker(role.tags) && !knownRoleNames.has(role.name))
    .map((role) => ({
      name: role.name,
      arn: role.arn,
      taggedWorkload: `${tag(role, 'cluster')}/${tag(role, 'namespace')}/${tag(role, 'service-account')}`,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
