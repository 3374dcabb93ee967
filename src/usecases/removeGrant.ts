import { ConflictError } from '../domain/errors';
import { MANAGED_BY_LABEL, ROLE_ARN_ANNOTATION } from '../domain/makeServiceAccountManifest';
import { SYSTEM_IDENTITY, type CallerIdentity } from '../domain/identity';
import { isOwnedByRequest, isOwnedByWorkload, requestIdOf } from '../domain/ownership';
import { AuditEventType, RequestStatus, transition, type AccessRequestRecord } from '../domain/requestLifecycle';
import {
  attachmentsToRemove,
  otherGrants,
  workloadGrantOf,
  WorkloadGrantStatus,
  workloadKeyOf,
  type WorkloadBinding,
} from '../domain/workload';
import { GrantJournal } from './grantJournal';
import { clusterConnection } from './provisionGrant';
import type { ProvisioningDeps } from './provisioningDeps';
import { inClusterAccount } from './accountScope';
import { WorkloadLease } from './workloadLease';

/** Revoke answers an HTTP call (10 s): wait this long for another change of the same workload, then say "retry". */
const LEASE_WAIT_MS = 5_000;

/** What the broker set on accounts it adopted before it recorded what they had: it removes exactly that. */
const LEGACY_ADOPTION_BEFORE = {
  labels: { 'app.kubernetes.io/managed-by': null, [MANAGED_BY_LABEL]: null },
  annotations: { [ROLE_ARN_ANNOTATION]: null },
};

/** Whether provisioning may have created anything for this request. */
function mayOwnIamObjects(record: AccessRequestRecord): boolean {
  return record.provisioning !== undefined;
}

/** Deletes the grant's own policy (versions first), after checking it is this grant's and attached nowhere. */
async function removeGrantPolicy(journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  const { plan } = journal.current;
  const policy = plan.permissionPolicy && (await deps.iam.findPolicy(plan.permissionPolicy.arn));
  if (!plan.permissionPolicy || !policy || !isOwnedByRequest(policy.tags, journal.current.id)) return;
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

/** The last grant goes: the role goes with it (its attachments first), if it is the workload's. */
async function removeRole(journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  const { plan, request } = journal.current;
  const role = await deps.iam.findRole(plan.role.name);
  // A same-named role that is not this workload's (a foreign one that made provisioning fail) is left
  // alone, and so is one made before workloads existed for a request this workload does not know.
  if (!role || !isOwnedByWorkload(role.tags, request)) return;
  const madeFor = requestIdOf(role.tags);
  if (madeFor !== undefined && madeFor !== journal.current.id) return;
  for (const arn of await deps.iam.listAttachedPolicyArns(plan.role.name)) {
    await deps.iam.detachPolicy(plan.role.name, arn);
    await journal.change(`DetachRolePolicy ${plan.role.arn} ${arn}`);
  }
  await deps.iam.deleteRole(plan.role.name);
  await journal.change(`DeleteRole ${plan.role.arn}`);
}

/** One grant of several goes: only what no staying grant needs comes off the role. */
async function detachGrant(journal: GrantJournal, staying: ReturnType<typeof otherGrants>, deps: ProvisioningDeps): Promise<void> {
  const { plan } = journal.current;
  const role = await deps.iam.findRole(plan.role.name);
  if (!role || !isOwnedByWorkload(role.tags, journal.current.request)) return;
  const attached = await deps.iam.listAttachedPolicyArns(plan.role.name);
  const leaving = workloadGrantOf(journal.current.id, plan, WorkloadGrantStatus.Active);
  for (const arn of attachmentsToRemove(staying, leaving).filter((candidate) => attached.includes(candidate))) {
    await deps.iam.detachPolicy(plan.role.name, arn);
    await journal.change(`DetachRolePolicy ${plan.role.arn} ${arn}`);
  }
}

/**
 * Takes the ServiceAccount out of the cluster first, so no new pod picks up a role about to vanish;
 * only when the broker applied it (created: deleted; adopted: released).
 */
async function removeServiceAccount(journal: GrantJournal, binding: WorkloadBinding | undefined, deps: ProvisioningDeps): Promise<void> {
  const { plan, request, provisioning } = journal.current;
  const ownership = binding?.ownership ?? provisioning?.serviceAccount;
  if (!ownership) return;
  const applier = await deps.serviceAccounts();
  const outcome = await applier.remove(await clusterConnection(plan, journal.current.id, deps), request.namespace, request.serviceAccount, {
    ownerIds: [binding?.appliedBy ?? journal.current.id],
    ownership: ownership === 'adopted' ? 'adopted' : 'created',
    // Accounts adopted before the broker recorded what they had carried Helm's label key.
    before: binding?.before ?? (ownership === 'adopted' ? LEGACY_ADOPTION_BEFORE : undefined),
  });
  if (outcome === 'absent') return;
  await journal.change(`ServiceAccount ${request.namespace}/${request.serviceAccount} ${outcome}`, {}, AuditEventType.KubernetesChange);
}

/**
 * Removes one grant from its workload under the workload's lease: with other grants staying, only
 * its own policy and the managed policies nobody else needs come off; as the last grant, the
 * ServiceAccount binding, the role and its policy go. A grant provisioned before workloads existed
 * (no workload item) owns its role alone and is removed whole.
 */
async function removeFromWorkload(journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  const { cluster, namespace, serviceAccount } = journal.current.request;
  const lease = await WorkloadLease.acquire(workloadKeyOf(cluster, namespace, serviceAccount), journal.current.id, deps, {
    waitMs: LEASE_WAIT_MS,
  });
  const staying = lease ? otherGrants(lease.current, journal.current.id) : [];
  if (staying.length > 0 && lease) {
    await detachGrant(journal, staying, deps);
    await removeGrantPolicy(journal, deps);
    await lease.release((workload) => ({ ...workload, grants: staying }));
    return;
  }
  await removeServiceAccount(journal, lease?.current.binding, deps);
  await removeRole(journal, deps);
  await removeGrantPolicy(journal, deps);
  await lease?.remove();
}

/**
 * Ends a grant: removes what the broker created for it, then moves the request to `revoked` or
 * `expired`. Each object is checked for the broker's tags first; missing objects are fine, so a
 * retry after a failure picks up where it stopped. The request changes state only once everything
 * is gone. Each deletion is audited.
 */
export async function removeGrant(
  record: AccessRequestRecord,
  outcome: typeof RequestStatus.Revoked | typeof RequestStatus.Expired,
  actor: CallerIdentity,
  comment: string | undefined,
  deps: ProvisioningDeps,
): Promise<AccessRequestRecord> {
  const journal = new GrantJournal(record, deps);
  // IAM and EKS calls go to the cluster's own account, as the grant's session.
  if (mayOwnIamObjects(record)) await removeFromWorkload(journal, (await inClusterAccount(deps, record.plan.cluster.name, record.id)).deps);
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
