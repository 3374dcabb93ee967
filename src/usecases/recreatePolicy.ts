import { ConflictError } from '../domain/errors';
import type { GrantPlan } from '../domain/grantPlan';
import type { LivePolicy } from '../ports';
import type { GrantJournal } from './grantJournal';
import type { ProvisioningDeps } from './provisioningDeps';

/**
 * Puts a grant's own policy back to its planned document without a policy version. The broker holds
 * no iam:CreatePolicyVersion (nor SetDefaultPolicyVersion): a new default version rewrites a policy
 * wherever it is attached, which is why privilege-escalation analysers flag the permission. Instead
 * the policy is detached from the workload's role (where it is attached), its versions and itself are
 * deleted, and it is created again under the same name — the same ARN. The caller attaches it again.
 * In between, the grant has fewer permissions, never more. Each change is written ahead.
 */
export async function recreatePolicy(
  plan: GrantPlan,
  live: LivePolicy,
  why: string,
  journal: GrantJournal,
  deps: ProvisioningDeps,
): Promise<{ wasAttached: boolean }> {
  const policy = plan.permissionPolicy;
  if (!policy) return { wasAttached: false };
  const { role } = plan;
  const wasAttached =
    (await deps.iam.findRole(role.name)) !== undefined && (await deps.iam.listAttachedPolicyArns(role.name)).includes(live.arn);
  // IAM refuses to delete a policy attached anywhere (moto does not): one attached elsewhere is not the grant's alone to recreate.
  const elsewhere = (await deps.iam.countPolicyAttachments(live.arn)) - (wasAttached ? 1 : 0);
  if (elsewhere > 0) {
    throw new ConflictError(
      'POLICY_STILL_ATTACHED',
      `policy ${live.arn} is attached to ${elsewhere} other principal(s); detach them, then try again`,
    );
  }
  if (wasAttached) {
    await journal.perform(
      { action: 'DetachRolePolicy', target: role.arn, argument: live.arn, reason: `DetachRolePolicy ${role.arn} ${live.arn} (${why})` },
      () => deps.iam.detachPolicy(role.name, live.arn),
      { progress: { attached: (journal.progress.attached ?? []).filter((arn) => arn !== live.arn) } },
    );
  }
  await deletePolicy(live, ` (${why})`, journal, deps);
  await journal.perform(
    { action: 'CreatePolicy', target: policy.arn, reason: `CreatePolicy ${policy.arn} (${why})` },
    () => deps.iam.createPolicy({ ...policy, description: `irsa-broker grant ${journal.current.id}` }),
    { progress: { policyCreated: true } },
  );
  return { wasAttached };
}

/**
 * Deletes a policy the broker owns: its non-default versions first (IAM refuses to delete a policy
 * that has any), then the policy, each written ahead. `note` is appended to each change's name.
 */
export async function deletePolicy(live: LivePolicy, note: string, journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  for (const version of live.versions.filter((entry) => !entry.isDefault)) {
    await journal.perform(
      {
        action: 'DeletePolicyVersion',
        target: live.arn,
        argument: version.versionId,
        reason: `DeletePolicyVersion ${live.arn} ${version.versionId}${note}`,
      },
      () => deps.iam.deletePolicyVersion(live.arn, version.versionId),
    );
  }
  await journal.perform({ action: 'DeletePolicy', target: live.arn, reason: `DeletePolicy ${live.arn}${note}` }, () =>
    deps.iam.deletePolicy(live.arn),
  );
}
