import { BrokerError, ConflictError, isRetryable } from '../domain/errors';
import { MANAGED_BY_LABEL, ROLE_ARN_ANNOTATION } from '../domain/makeServiceAccountManifest';
import type { CallerIdentity } from '../domain/identity';
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
import { clusterConnection, inClusterAccount } from './accountScope';
import { changeAccessRequest, loadAccessRequest, type RecordChange } from './changeAccessRequest';
import { deletePolicy } from './recreatePolicy';
import { settlePendingIntent } from './settleIntent';
import type { ProvisioningDeps } from './provisioningDeps';
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
  await deletePolicy(policy, '', journal, deps);
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
  for (const arn of await deps.iam.listAttachedPolicyArns(plan.role.name)) await detach(journal, arn, deps);
  await journal.perform({ action: 'DeleteRole', target: plan.role.arn, reason: `DeleteRole ${plan.role.arn}` }, () =>
    deps.iam.deleteRole(plan.role.name),
  );
}

/** One grant of several goes: only what no staying grant needs comes off the role. */
async function detachGrant(journal: GrantJournal, staying: ReturnType<typeof otherGrants>, deps: ProvisioningDeps): Promise<void> {
  const { plan } = journal.current;
  const role = await deps.iam.findRole(plan.role.name);
  if (!role || !isOwnedByWorkload(role.tags, journal.current.request)) return;
  const attached = await deps.iam.listAttachedPolicyArns(plan.role.name);
  const leaving = workloadGrantOf(journal.current.id, plan, WorkloadGrantStatus.Active);
  for (const arn of attachmentsToRemove(staying, leaving).filter((candidate) => attached.includes(candidate)))
    await detach(journal, arn, deps);
}

function detach(journal: GrantJournal, arn: string, deps: ProvisioningDeps): Promise<void> {
  const { role } = journal.current.plan;
  return journal.perform(
    { action: 'DetachRolePolicy', target: role.arn, argument: arn, reason: `DetachRolePolicy ${role.arn} ${arn}` },
    () => deps.iam.detachPolicy(role.name, arn),
  );
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
  const connection = await clusterConnection(plan, journal.current.id, deps);
  const name = `${request.namespace}/${request.serviceAccount}`;
  await journal.perform(
    { action: 'RemoveServiceAccount', target: name, reason: `ServiceAccount ${name} removed` },
    () =>
      applier.remove(connection, request.namespace, request.serviceAccount, {
        ownerIds: [binding?.appliedBy ?? journal.current.id],
        ownership: ownership === 'adopted' ? 'adopted' : 'created',
        // Accounts adopted before the broker recorded what they had carried Helm's label key.
        before: binding?.before ?? (ownership === 'adopted' ? LEGACY_ADOPTION_BEFORE : undefined),
      }),
    { madeChange: (outcome) => outcome !== 'absent', reasonOf: (outcome) => `ServiceAccount ${name} ${outcome}` },
  );
}

/**
 * Removes one grant from its workload under the workload's lease: with other grants staying, only
 * its own policy and the managed policies nobody else needs come off; as the last grant, the
 * ServiceAccount binding, the role and its policy go. A grant provisioned before workloads existed
 * (no workload item) owns its role alone and is removed whole. Returns how to let go of the workload,
 * for after the request records its end: an ender waiting for the lease then finds the end recorded
 * (it never finds the workload gone while the request still says `revoking`).
 */
async function removeFromWorkload(
  journal: GrantJournal,
  lease: WorkloadLease | undefined,
  deps: ProvisioningDeps,
): Promise<() => Promise<void>> {
  const staying = lease ? otherGrants(lease.current, journal.current.id) : [];
  if (staying.length > 0 && lease) {
    await detachGrant(journal, staying, deps);
    await removeGrantPolicy(journal, deps);
    return () => lease.release((workload) => ({ ...workload, grants: staying }));
  }
  await removeServiceAccount(journal, lease?.current.binding, deps);
  await removeRole(journal, deps);
  await removeGrantPolicy(journal, deps);
  return async () => lease?.remove();
}

type Outcome = typeof RequestStatus.Revoked | typeof RequestStatus.Expired;

/**
 * Records that a grant ends (status `revoking`), before anything is removed. From this write on, no
 * provisioning or repair run can start a change for the grant: each of their writes is conditional
 * on the record they read, and a re-read record in `revoking` ends them. A lost race re-reads and
 * tries again, so a revoke is never lost to a concurrent write. When another revoke or the expiry
 * recorded the end first, that end is the one taken up.
 */
export async function beginEnding(
  id: string,
  outcome: Outcome,
  actor: CallerIdentity,
  comment: string | undefined,
  deps: ProvisioningDeps,
): Promise<AccessRequestRecord> {
  return changeAccessRequest(id, ending(outcome, actor, comment), deps).catch(async (error: unknown) => {
    const latest = await deps.store.get(id);
    if (latest?.status === RequestStatus.Revoking) return latest;
    throw error;
  });
}

/** The change that records the end of a grant. */
function ending(outcome: Outcome, actor: CallerIdentity, comment: string | undefined): RecordChange {
  return (current, _rule, now) => ({
    ...transition(current, RequestStatus.Revoking, {
      type: AuditEventType.Ending,
      actor,
      at: now,
      comment,
      reason:
        outcome === RequestStatus.Revoked ? 'revoke: removing what the grant created' : 'grant duration ended: removing what it created',
    }),
    ending: {
      outcome,
      actor: { subject: actor.subject, email: actor.email, source: actor.source, ...(actor.person ? { person: actor.person } : {}) },
      at: now.toISOString(),
      ...(comment ? { comment } : {}),
    },
  });
}

/**
 * Removes what an ending grant created and moves it to `revoked` or `expired`. Under the workload's
 * lease, taken as a holder of its own, so a provisioning run of the same grant that is still in a call
 * finishes (and lets go) first. WORKLOAD_BUSY (retryable) when the lease stays taken; the sweep, or
 * the next revoke call, finishes then. An unconfirmed intent is settled first; each removal is
 * written ahead like every change.
 */
export async function finishEnding(record: AccessRequestRecord, deps: ProvisioningDeps): Promise<AccessRequestRecord> {
  if (record.status !== RequestStatus.Revoking) return record;
  const { cluster, namespace, serviceAccount } = record.request;
  const lease = mayOwnIamObjects(record)
    ? await WorkloadLease.acquire(workloadKeyOf(cluster, namespace, serviceAccount), `ending:${record.id}:${deps.ids.newId()}`, deps, {
        waitMs: LEASE_WAIT_MS,
      })
    : undefined;
  try {
    // Another ender may have finished while this one waited.
    const current = await loadAccessRequest(record.id, deps);
    if (current.status !== RequestStatus.Revoking || !current.ending) {
      await lease?.release();
      return current;
    }
    const journal = new GrantJournal(current, deps, { mayChangeIn: [RequestStatus.Revoking] });
    let letGo = async () => lease?.release();
    if (mayOwnIamObjects(current)) {
      // IAM and EKS calls go to the cluster's own account, as the grant's session.
      const inAccount = (await inClusterAccount(deps, current.plan.cluster.name, current.id)).deps;
      await settlePendingIntent(journal, inAccount);
      letGo = await removeFromWorkload(journal, lease, inAccount);
    }
    const { ending } = current;
    const ended = await journal.applyWhileHeld((latest) =>
      transition(latest, ending.outcome, {
        type: ending.outcome === RequestStatus.Revoked ? AuditEventType.Revoked : AuditEventType.Expired,
        actor: { ...ending.actor, groups: [] },
        at: journal.now(),
        comment: ending.comment,
        reason: ending.outcome === RequestStatus.Expired ? 'grant duration ended' : undefined,
      }),
    );
    // A workload item that outlives this (a lost lease) still lists the grant; the next change of the workload heals it.
    await letGo().catch(() => undefined);
    return ended;
  } catch (error) {
    await lease?.release().catch(() => undefined);
    throw error;
  }
}

/**
 * Ends a grant: records the decision, then removes what the broker created for it and moves it to
 * `revoked` or `expired`. Each object is checked for the broker's tags first; missing objects are
 * fine, so a later attempt picks up where one stopped. When the workload stays busy, the request is
 * returned in `revoking` and the sweep finishes it.
 */
export async function removeGrant(
  record: AccessRequestRecord,
  outcome: Outcome,
  actor: CallerIdentity,
  comment: string | undefined,
  deps: ProvisioningDeps,
): Promise<AccessRequestRecord> {
  const ending = record.status === RequestStatus.Revoking ? record : await beginEnding(record.id, outcome, actor, comment, deps);
  try {
    return await finishEnding(ending, deps);
  } catch (error) {
    // Another ender holds the workload or finished first, or a dependency did not answer: the end is
    // recorded either way, nothing can be created for the grant any more, and the sweep finishes the removal.
    if (isRetryable(error) || (error instanceof BrokerError && ['CONCURRENT_UPDATE', 'RUN_SUPERSEDED'].includes(error.code)))
      return (await deps.store.get(record.id).catch(() => undefined)) ?? ending;
    throw error;
  }
}
