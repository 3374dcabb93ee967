import * as z from 'zod';
import { S3AccessLevel, type AccessRequest } from './accessRequest';
import { ForbiddenError, ValidationError } from './errors';
import { isSamePerson, type CallerIdentity } from './identity';
import { ManagedPolicyArnSchema } from './names';
import { matchesWildcard } from './wildcardMatch';

/** A glob over names: `*` is any run of characters, `?` one character. */
const GlobSchema = z.string().regex(/^[A-Za-z0-9_.*?-]+$/, 'must be a name glob (letters, digits, "_.-", "*" and "?")');

/** Grants that may be approved without a person: every grant of the request must fit one condition. */
export const AutoApprovalConditionSchema = z
  .object({
    s3Levels: z.array(z.enum([S3AccessLevel.Read, S3AccessLevel.Write, S3AccessLevel.ReadWrite, S3AccessLevel.List])).default([]),
    bucketPatterns: z.array(GlobSchema).default([]),
    managedPolicyArns: z.array(ManagedPolicyArnSchema).default([]),
    maxDurationHours: z.number().int().min(1).optional(),
  })
  .strict();
export type AutoApprovalCondition = z.infer<typeof AutoApprovalConditionSchema>;

/** Who may request and who must approve in a set of namespaces. The first matching rule applies. */
export const ApprovalRuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]{1,64}$/, 'must be lower-case letters, digits and "-"'),
    clusters: z.array(GlobSchema).min(1).default(['*']),
    namespaces: z.array(GlobSchema).min(1),
    /** Groups that own these namespaces: only their members may request access here. */
    ownerGroups: z.array(z.string().min(1)).min(1),
    approverGroups: z.array(z.string().min(1)).min(1),
    requiredApprovals: z.number().int().min(1).max(10).default(1),
    maxDurationHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 366)
      .default(24 * 90),
    pendingTimeoutHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(72),
    autoApprove: z.array(AutoApprovalConditionSchema).default([]),
    /** Where approvers hear about new requests (a Slack channel id), if anywhere. */
    approvalChannel: z.string().optional(),
  })
  .strict();
export type ApprovalRule = z.infer<typeof ApprovalRuleSchema>;

/** Whether a name matches any of the globs. */
export function matchesAnyGlob(globs: readonly string[], name: string): boolean {
  return globs.some((glob) => matchesWildcard(glob, name));
}

/** The rule governing a cluster and namespace, or a 403 when no rule covers it. */
export function findApprovalRule(rules: readonly ApprovalRule[], cluster: string, namespace: string): ApprovalRule {
  const rule = rules.find((candidate) => matchesAnyGlob(candidate.clusters, cluster) && matchesAnyGlob(candidate.namespaces, namespace));
  if (!rule) {
    throw new ForbiddenError(
      'NAMESPACE_NOT_GOVERNED',
      `no approval rule covers namespace "${namespace}" in cluster "${cluster}"; nobody may request access there`,
    );
  }
  return rule;
}

const isMember = (groups: readonly string[], caller: CallerIdentity) => caller.groups.some((group) => groups.includes(group));

/** Whether the caller is one of those who may ask for access under this rule. */
export function couldHaveRequested(rule: ApprovalRule, caller: CallerIdentity): boolean {
  return isMember(rule.ownerGroups, caller);
}

/** Only members of the owner groups may ask for access in a namespace. */
export function assertMayRequest(rule: ApprovalRule, caller: CallerIdentity, namespace: string): void {
  if (!isMember(rule.ownerGroups, caller)) {
    throw new ForbiddenError(
      'NOT_A_NAMESPACE_OWNER',
      `only members of ${rule.ownerGroups.join(', ')} may request access in namespace "${namespace}"`,
      {
        details: { rule: rule.id, ownerGroups: rule.ownerGroups },
      },
    );
  }
}

/** Only members of the approver groups may decide. */
export function isApprover(rule: ApprovalRule, caller: CallerIdentity): boolean {
  return isMember(rule.approverGroups, caller);
}

/**
 * Only members of the approver groups decide, and never on what they asked for themselves: each of
 * `requesters` (the request's requester, and an extension's) counts as a requester.
 */
export function assertMayDecide(
  rule: ApprovalRule,
  caller: CallerIdentity,
  requesters: readonly Pick<CallerIdentity, 'subject' | 'email' | 'person'>[],
): void {
  if (!isApprover(rule, caller)) {
    throw new ForbiddenError('NOT_AN_APPROVER', `only members of ${rule.approverGroups.join(', ')} may decide on this request`, {
      details: { rule: rule.id, approverGroups: rule.approverGroups },
    });
  }
  if (requesters.some((requester) => isSamePerson(requester, caller))) {
    throw new ForbiddenError('SELF_APPROVAL', 'requesters may not decide on their own requests');
  }
  // Whoever could have asked may be the requester coming through another door; only a join tells.
  if (couldHaveRequested(rule, caller) && !caller.person) {
    throw new ForbiddenError(
      'APPROVER_NOT_JOINED',
      'you could have made this request yourself, and config joins your identity to no person; ask a platform admin to add you to `identity.people` or use an identity with an email',
      { details: { rule: rule.id } },
    );
  }
  // The request's own requester (first) decides whether it was joined; an extension's asker is checked as a requester above.
  if (couldHaveRequested(rule, caller) && requesters[0] && !requesters[0].person) {
    throw new ForbiddenError(
      'REQUESTER_NOT_JOINED',
      'config joins the requester to no person, so only an approver who could not have made this request may decide on it',
      { details: { rule: rule.id } },
    );
  }
}

/** Whether the caller owns the rule's namespaces (a member of one of its owner groups). */
export function isOwner(rule: ApprovalRule, caller: CallerIdentity): boolean {
  return isMember(rule.ownerGroups, caller);
}

/** The grant's duration: what was asked for, at most the rule's maximum; the maximum when none was asked. */
export function effectiveDurationHours(rule: ApprovalRule, request: AccessRequest): number {
  const asked = request.durationHours ?? rule.maxDurationHours;
  if (asked > rule.maxDurationHours) {
    throw new ValidationError(
      'DURATION_EXCEEDS_MAXIMUM',
      `durationHours is ${asked}; the limit for rule ${rule.id} is ${rule.maxDurationHours}`,
      {
        details: { limit: rule.maxDurationHours, actual: asked },
      },
    );
  }
  return asked;
}

function fitsCondition(condition: AutoApprovalCondition, request: AccessRequest, durationHours: number): boolean {
  if (condition.maxDurationHours !== undefined && durationHours > condition.maxDurationHours) return false;
  return request.grants.every((grant) =>
    grant.type === 's3'
      ? condition.s3Levels.includes(grant.level) && matchesAnyGlob(condition.bucketPatterns, grant.bucket)
      : condition.managedPolicyArns.includes(grant.arn),
  );
}

/** The index of the first auto-approval condition the whole request fits, or undefined. */
export function findAutoApproval(rule: ApprovalRule, request: AccessRequest, durationHours: number): number | undefined {
  // A person must look at whatever widens the trust (a pattern) or takes over an account someone else made.
  if (request.serviceAccountPattern !== undefined || request.adoptExistingServiceAccount) return undefined;
  const index = rule.autoApprove.findIndex((condition) => fitsCondition(condition, request, durationHours));
  return index >= 0 ? index : undefined;
}
