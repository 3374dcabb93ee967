import { IamLimitExceededError, ValidationError } from './errors';
import { ROLE_NAME_LIMIT } from './makeRoleName';
import type { Tag } from './makeTags';
import { PolicyDocumentSchema, policySize, type PolicyDocument } from './policyDocument';

/** IAM's hard quotas that moto does not enforce, so the broker must. */
export const IamLimits = {
  roleName: ROLE_NAME_LIMIT,
  path: 512,
  managedPolicySize: 6144,
  tagsPerResource: 50,
  tagKeyLength: 128,
  tagValueLength: 256,
} as const;

export interface PlannedIamObjects {
  roleName: string;
  rolePath: string;
  trustPolicy: PolicyDocument;
  permissionPolicy: PolicyDocument | null;
  tags: Tag[];
}

function assertWithin(code: string, what: string, limit: number, actual: number): void {
  if (actual > limit) throw new IamLimitExceededError(code, what, limit, actual);
}

function assertGrammar(what: string, document: PolicyDocument): void {
  const result = PolicyDocumentSchema.safeParse(document);
  if (!result.success) {
    throw new ValidationError('POLICY_GRAMMAR_INVALID', `${what} does not follow the IAM policy grammar`, {
      details: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
}

/**
 * The pre-flight: every IAM quota and grammar rule a plan must meet, checked before any AWS call
 * so that nothing is ever half-created. Throws on the first violation, in a fixed order.
 */
export function checkIamLimits(objects: PlannedIamObjects, trustPolicySizeLimit: number): void {
  assertWithin('ROLE_NAME_TOO_LONG', 'role name length', IamLimits.roleName, objects.roleName.length);
  assertWithin('ROLE_PATH_TOO_LONG', 'role path length', IamLimits.path, objects.rolePath.length);
  assertGrammar('trust policy', objects.trustPolicy);
  assertWithin(
    'TRUST_POLICY_TOO_LARGE',
    'trust policy size (characters, whitespace excluded)',
    trustPolicySizeLimit,
    policySize(objects.trustPolicy),
  );
  if (objects.permissionPolicy) {
    assertGrammar('permission policy', objects.permissionPolicy);
    assertWithin(
      'MANAGED_POLICY_TOO_LARGE',
      'permission policy size (characters, whitespace excluded)',
      IamLimits.managedPolicySize,
      policySize(objects.permissionPolicy),
    );
  }
  assertWithin('TOO_MANY_TAGS', 'tag count', IamLimits.tagsPerResource, objects.tags.length);
  for (const tag of objects.tags) {
    assertWithin('TAG_KEY_TOO_LONG', `length of tag key ${tag.Key}`, IamLimits.tagKeyLength, tag.Key.length);
    assertWithin('TAG_VALUE_TOO_LONG', `length of tag ${tag.Key}'s value`, IamLimits.tagValueLength, tag.Value.length);
  }
}
