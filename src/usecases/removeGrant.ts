import { ConflictError } from '../domain/errors';
import { SYSTEM_IDENTITY, type CallerIdentity } from '../domain/identity';
import { isOwnedByRequest } from '../domain/ownership';
import { AuditEventType, RequestStatus, transition, type AccessRequestRecord } from '../domain/requestLifecycle';
import { GrantJournal } from './grantJournal';
import { clusterConnection } from './provisionGrant';
import type { ProvisioningDeps } from './provisioningDeps';

/** Whether provisioning may have created anything for this request. */
function mayOwnIamObjects(record: AccessRequestRecord): boolean {
  return record.provisioning !== undefined;
}

/**
 * Removes what the broker created for a grant, and only that: each object is checked for the
 * broker's tag and this request's id first. Missing objects are fine, so a retry after a failure
 * picks up where it stopped. Each deletion is audited.
 */
async function removeIamObjects(journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  const { plan } = journal.current;
  const role = await deps.iam.findRole(plan.role.name);
  // A same-named role that is not this grant's (a foreign one that made provisioning fail) is left alone.
  if (role && isOwnedByRequest(role.tags, journal.current.id)) {
    for (const arn of await deps.iam.listAttachedPolicyArns(plan.role.name)) {
      await deps.iam.detachPolicy(plan.role.name, arn);
      await journal.change(`DetachRolePolicy ${plan.role.arn} ${arn}`);
    }
    await deps.iam.deleteRole(plan.role.name);
    await journal.change(`DeleteRole ${plan.role.arn}`);
  }
  const policy = plan.permissionPolicy && (await deps.iam.findPolicy(plan.permissionPolicy.arn));
  if (plan.permissionPolicy && policy && isOwnedByRequest(policy.tags, journal.current.id)) {
    // IAM refuses to delete an attached policy (moto does not): say so instead of half-deleting.
    const attachments = await deps.iam.countPolicyAttachments(policy.arn);
    if (attachments > 0) {
      throw new ConflictError(
        'POLICY_STILL_ATTACHED',
        `policy ${policy.arn} is attached to ${attachments} other principal(s); detach them, then revoke again`,
      );
    }
    for (const version of policy.versions.filter((entry) => !entry.isDefault)) {
      await deps.iam.deletePolicyVersion(policy.arn, version.versionId);
      await journal.change(`DeletePolicyVersion ${policy.arn} ${version.versionId}`);
    }
    await deps.iam.deletePolicy(policy.arn);
    await journal.change(`DeletePolicy ${policy.arn}`);
  }
}

/** Takes the ServiceAccount out of the cluster first, so no new pod picks up a role about to vanish. */
async function removeServiceAccount(journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  const { plan, request, provisioning } = journal.current;
  if (!provisioning?.serviceAccount) return;
  const applier = await deps.serviceAccounts();
  const outcome = await applier.remove(
    await clusterConnection(plan, deps),
    request.namespace,
    request.serviceAccount,
    provisioning.serviceAccount !== 'adopted',
  );
  if (outcome === 'absent') return;
  await journal.change(`ServiceAccount ${request.namespace}/${request.serviceAccount} ${outcome}`, {}, AuditEventType.KubernetesChange);
}

/**
 * Ends a grant: removes its IAM objects, then moves the request to `revoked` or `expired`. The
 * request changes state only once everything is gone, so a failed removal can simply be retried.
 */
export async function removeGrant(
  record: AccessRequestRecord,
  outcome: typeof RequestStatus.Revoked | typeof RequestStatus.Expired,
  actor: CallerIdentity,
  comment: string | undefined,
  deps: ProvisioningDeps,
): Promise<AccessRequestRecord> {
  const journal = new GrantJournal(record, deps);
  await removeServiceAccount(journal, deps);
  if (mayOwnIamObjects(record)) await removeIamObjects(journal, deps);
  const type = outcome === RequestStatus.Revoked ? AuditEventType.Revoked : AuditEventType.Expired;
  return journal.apply((current) =>
    transition(current, outcome, {
      type,
      actor,
      at: journal.now(),
      comment,
      reason: actor === SYSTEM_IDENTITY ? 'grant duration ended' : undefined,
    }),
  );
}
