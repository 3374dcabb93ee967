import { backOff } from 'exponential-backoff';
import { Delivery } from '../domain/accessRequest';
import { issuerHostPath } from '../domain/arns';
import { BrokerError, ConflictError, DependencyUnavailableError, isRetryable } from '../domain/errors';
import { assertCanBecome } from '../domain/decisions';
import { assertRequestFitsConfig, type GrantPlan } from '../domain/grantPlan';
import { SYSTEM_IDENTITY } from '../domain/identity';
import { assertOwnedByRequest, assertOwnedByWorkload, sameDocument } from '../domain/ownership';
import { AuditEventType, GrantMode, recordDecision, RequestStatus, transition, type AccessRequestRecord } from '../domain/requestLifecycle';
import {
  assertSameTrust,
  attachmentsOf,
  newWorkload,
  otherGrants,
  withGrant,
  workloadGrantOf,
  WorkloadGrantStatus,
  workloadKeyOf,
} from '../domain/workload';
import { recheckUncheckedBuckets } from './bucketFacts';
import { GrantJournal } from './grantJournal';
import { loadAccessRequest } from './changeAccessRequest';
import { clusterConnection, inClusterAccount } from './accountScope';
import { recreatePolicy } from './recreatePolicy';
import { settlePendingIntent } from './settleIntent';
import { verifyAfterProvisioning } from './verifyGrant';
import { WorkloadLease } from './workloadLease';
import { grantsHoldingObjects } from './workloadState';
import type { ProvisioningDeps } from './provisioningDeps';

const HOUR_MS = 3_600_000;

/**
 * IAM is eventually consistent: a role or policy created a moment ago may not be visible to the next
 * call yet (NoSuchEntity). Only such calls are retried here; throttling is the SDK's job.
 */
function retryWhileNotVisible<Output>(call: () => Promise<Output>): Promise<Output> {
  return backOff(call, {
    numOfAttempts: 6,
    startingDelay: 250,
    timeMultiple: 2,
    jitter: 'full',
    retry: (error: unknown) => error instanceof BrokerError && error.code === 'IAM_NO_SUCH_ENTITY',
  });
}

async function checkOidcProvider(plan: GrantPlan, journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  const arn = plan.cluster.oidcProviderArn;
  if (await deps.iam.oidcProviderExists(arn)) return;
  if (!deps.config.provisioning.createOidcProvider) {
    throw new ConflictError(
      'OIDC_PROVIDER_MISSING',
      `IAM has no OIDC provider for ${plan.cluster.oidcIssuer}. Create it (eksctl utils associate-iam-oidc-provider --cluster ${plan.cluster.name} --approve) or set provisioning.createOidcProvider: true`,
      { details: { oidcProviderArn: arn } },
    );
  }
  await journal.perform({ action: 'CreateOpenIDConnectProvider', target: arn, reason: `CreateOpenIDConnectProvider ${arn}` }, () =>
    deps.iam.createOidcProvider(plan.cluster.oidcIssuer, plan.role.tags.slice(0, 2)),
  );
}

/** Checks (or creates) the cluster's OIDC provider once per cold start; a failed check is retried next time. */
async function ensureOidcProvider(plan: GrantPlan, journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  const arn = plan.cluster.oidcProviderArn;
  let check = deps.knownOidcProviders.get(arn);
  if (!check) {
    check = checkOidcProvider(plan, journal, deps);
    deps.knownOidcProviders.set(arn, check);
    check.catch(() => deps.knownOidcProviders.delete(arn));
  }
  await check;
}

async function ensurePolicyDocument(plan: GrantPlan, journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  const policy = plan.permissionPolicy;
  if (!policy) return;
  const live = await deps.iam.findPolicy(policy.arn);
  if (!live) {
    // Deleted behind the broker's back since it was created: make it again.
    await journal.perform({ action: 'CreatePolicy', target: policy.arn, reason: `CreatePolicy ${policy.arn} (it had disappeared)` }, () =>
      deps.iam.createPolicy({ ...policy, description: `irsa-broker grant ${journal.current.id}` }),
    );
    return;
  }
  assertOwnedByRequest('policy', policy.name, live.tags, journal.current.id);
  if (sameDocument(live.defaultDocument, policy.document)) return;
  // The attachment step that follows attaches it again.
  await recreatePolicy(plan, live, 'its document differed from the plan', journal, deps);
}

async function ensurePolicy(plan: GrantPlan, journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  const policy = plan.permissionPolicy;
  if (!policy) return;
  if (!journal.progress.policyCreated) {
    const outcome = await journal.perform(
      { action: 'CreatePolicy', target: policy.arn, reason: `CreatePolicy ${policy.arn}` },
      () => deps.iam.createPolicy({ ...policy, description: `irsa-broker grant ${journal.current.id}` }),
      { madeChange: (created) => created === 'created', progress: { policyCreated: true } },
    );
    if (outcome === 'created') return;
  }
  await ensurePolicyDocument(plan, journal, deps);
  // Found under its name and proved this grant's: an earlier attempt made it.
  if (!journal.progress.policyCreated)
    await journal.applyWhileHeld((record) => ({ ...record, provisioning: { ...record.provisioning, policyCreated: true } }));
}

/** The role is the workload's: its description names the workload, not the grant that happened to create it. */
const roleDescription = (journal: GrantJournal) => {
  const { cluster, namespace, serviceAccount } = journal.current.request;
  return `irsa-broker workload ${workloadKeyOf(cluster, namespace, serviceAccount)}`;
};

/**
 * Returns whether the role was created just now (so it has no attachments yet). `roleExpected`: the
 * workload has other grants, so the role exists — read it instead of trying to create it.
 */
async function ensureRole(plan: GrantPlan, roleExpected: boolean, journal: GrantJournal, deps: ProvisioningDeps): Promise<boolean> {
  const { role } = plan;
  const known = roleExpected || journal.progress.roleCreated === true;
  if (!known) {
    const outcome = await journal.perform(
      { action: 'CreateRole', target: role.arn, reason: `CreateRole ${role.arn}` },
      () => deps.iam.createRole({ ...role, description: roleDescription(journal) }),
      { madeChange: (created) => created === 'created', progress: { roleCreated: true } },
    );
    if (outcome === 'created') return true;
  }
  // A role another grant made long ago is visible; one created a moment ago (or found just now under
  // its name) may not be yet.
  const live = roleExpected
    ? await deps.iam.findRole(role.name)
    : await retryWhileNotVisible(async () => {
        const found = await deps.iam.findRole(role.name);
        if (!found) throw new DependencyUnavailableError('IAM_NO_SUCH_ENTITY', `role ${role.name} is not visible`);
        return found;
      }).catch((error: unknown) => {
        if (error instanceof BrokerError && error.code === 'IAM_NO_SUCH_ENTITY' && known) return undefined;
        throw error;
      });
  if (!live) {
    // The workload's role was deleted behind the broker's back: make it again (the reconciler reports it too).
    await journal.perform(
      { action: 'CreateRole', target: role.arn, reason: `CreateRole ${role.arn} (it had disappeared)` },
      () => deps.iam.createRole({ ...role, description: roleDescription(journal) }),
      { progress: { roleCreated: true } },
    );
    return true;
  }
  assertOwnedByWorkload(role.name, live.tags, journal.current.request);
  if (!sameDocument(live.trustPolicy, role.trustPolicy)) {
    await journal.perform(
      { action: 'UpdateAssumeRolePolicy', target: role.arn, reason: `UpdateAssumeRolePolicy ${role.arn} (trust differed)` },
      () => deps.iam.updateTrustPolicy(role.name, role.trustPolicy),
    );
  }
  if (live.permissionsBoundaryArn !== role.permissionsBoundaryArn) {
    await journal.perform(
      {
        action: 'PutRolePermissionsBoundary',
        target: role.arn,
        reason: `PutRolePermissionsBoundary ${role.arn} ${role.permissionsBoundaryArn}`,
      },
      () => deps.iam.putPermissionsBoundary(role.name, role.permissionsBoundaryArn),
    );
  }
  if (!journal.progress.roleCreated)
    await journal.applyWhileHeld((record) => ({ ...record, provisioning: { ...record.provisioning, roleCreated: true } }));
  return false;
}

/** The policies one grant attaches to the workload's role: its own, then the allow-listed managed ones. */
export function wantedAttachments(plan: GrantPlan): string[] {
  return attachmentsOf([{ policyArn: plan.permissionPolicy?.arn, managedPolicyArns: plan.managedPolicyArns }]);
}

/**
 * Attaches what the grant needs and the role lacks. Which attachments the role has is known without a
 * read for a role created in this run (none) and for a role other grants hold (theirs, plus what this
 * grant's earlier attempts attached; AttachRolePolicy is idempotent, so a stale guess costs one call).
 */
async function ensureAttachments(
  plan: GrantPlan,
  known: { roleIsNew: boolean; heldByOthers?: string[] },
  journal: GrantJournal,
  deps: ProvisioningDeps,
): Promise<void> {
  const attached = known.roleIsNew
    ? []
    : known.heldByOthers
      ? [...known.heldByOthers, ...(journal.progress.attached ?? [])]
      : await deps.iam.listAttachedPolicyArns(plan.role.name);
  for (const arn of wantedAttachments(plan)) {
    if (attached.includes(arn)) continue;
    await journal.perform(
      { action: 'AttachRolePolicy', target: plan.role.arn, argument: arn, reason: `AttachRolePolicy ${plan.role.arn} ${arn}` },
      () => retryWhileNotVisible(() => deps.iam.attachPolicy(plan.role.name, arn)),
      { progress: { attached: [...new Set([...(journal.progress.attached ?? []), arn])] } },
    );
  }
}

/**
 * For `delivery: apply`: the ServiceAccount goes into the cluster, after the role exists — once per
 * workload. Its role ARN never changes while the workload has a grant, so a later grant leaves the
 * binding as it is (no restart, no Kubernetes call).
 */
async function ensureServiceAccount(journal: GrantJournal, lease: WorkloadLease, deps: ProvisioningDeps): Promise<void> {
  const { plan, request } = journal.current;
  if (request.delivery !== Delivery.Apply) return;
  if (lease.current.binding && lease.current.binding.appliedBy !== journal.current.id) return;
  const applier = await deps.serviceAccounts();
  const connection = await clusterConnection(plan, journal.current.id, deps);
  const name = `${request.namespace}/${request.serviceAccount}`;
  const ownershipOf = (outcome: string) => journal.progress.serviceAccount ?? (outcome === 'adopted' ? 'adopted' : 'created');
  const applied = await journal.perform(
    { action: 'ApplyServiceAccount', target: name, reason: `ServiceAccount ${name} applied` },
    () =>
      applier.apply(connection, plan.serviceAccount.manifest, {
        adopt: request.adoptExistingServiceAccount && deps.config.delivery.allowAdoption,
        createNamespace: deps.config.delivery.createNamespaces,
        ownerIds: [journal.current.id],
      }),
    {
      madeChange: (outcome) => outcome.outcome !== 'unchanged',
      reasonOf: (outcome) => `ServiceAccount ${name} ${outcome.outcome}`,
    },
  );
  const ownership = ownershipOf(applied.outcome);
  if (journal.progress.serviceAccount !== ownership)
    await journal.applyWhileHeld((record) => ({ ...record, provisioning: { ...record.provisioning, serviceAccount: ownership } }));
  if (applied.outcome === 'unchanged' && lease.current.binding) return;
  await lease.save((workload) => ({
    ...workload,
    binding: {
      ownership: ownership === 'adopted' ? 'adopted' : 'created',
      appliedBy: journal.current.id,
      ...(applied.outcome === 'adopted' ? { before: applied.before } : workload.binding?.before ? { before: workload.binding.before } : {}),
    },
  }));
}

/** What a failed run records: the error's code and message, and whether trying again may help. */
function failureOf(error: unknown): { code: string; message: string; retryable: boolean } {
  if (error instanceof BrokerError) return { code: error.code, message: error.message, retryable: isRetryable(error) };
  return { code: 'PROVISIONING_ERROR', message: error instanceof Error ? error.message : String(error), retryable: false };
}

/** Waits this long for another grant's change of the same workload (well within the function's 120 s). */
const LEASE_WAIT_MS = 60_000;

/**
 * How long one provisioning run holds its request: longer than the function's timeout (120 s), so a
 * live run never loses it; past it, the sweep takes the request up again.
 */
export const PROVISIONING_RUN_MS = 150_000;

/**
 * Leases the request's workload, creating it for its first grant. A workload created here also takes
 * in the grants provisioned before workloads existed (one role per request then), so that their
 * role is never mistaken for this grant's alone.
 */
async function leaseWorkloadFor(record: AccessRequestRecord, deps: ProvisioningDeps): Promise<WorkloadLease> {
  const { cluster, namespace, serviceAccount } = record.request;
  const lease = await WorkloadLease.acquire(workloadKeyOf(cluster, namespace, serviceAccount), record.id, deps, {
    waitMs: LEASE_WAIT_MS,
    create: async () => ({
      ...newWorkload(record.plan, namespace, serviceAccount, deps.clock.now()),
      grants: await grantsHoldingObjects({ cluster, namespace, serviceAccount }, record.id, deps),
    }),
  });
  if (!lease) throw new ConflictError('WORKLOAD_MISSING', `workload ${cluster}/${namespace}/${serviceAccount} could not be created`);
  return lease;
}

/** Whether a provisioning run that has not passed its deadline holds the request. */
function isHeldByLiveRun(record: AccessRequestRecord, now: Date): boolean {
  const deadline = record.provisioning?.deadline;
  return record.status === RequestStatus.Provisioning && deadline !== undefined && Date.parse(deadline) > now.getTime();
}

/**
 * Takes the request for a new run (attempt n+1) until its deadline: from approved or failed it
 * moves to provisioning; a provisioning request whose run passed its deadline is resumed. The write
 * is conditional, so of two runs started together exactly one gets it.
 */
async function startRun(record: AccessRequestRecord, deps: ProvisioningDeps): Promise<GrantJournal | undefined> {
  const attempt = (record.provisioning?.attempts ?? 0) + 1;
  const journal = new GrantJournal(record, deps, { mayChangeIn: [RequestStatus.Provisioning], attempt });
  const now = deps.clock.now();
  const change = {
    actor: SYSTEM_IDENTITY,
    at: now,
    type: record.status === RequestStatus.Provisioning ? AuditEventType.Resumed : AuditEventType.ProvisioningStarted,
    reason:
      record.status === RequestStatus.Provisioning
        ? `attempt ${attempt}: the run before stopped without finishing (deadline ${record.provisioning?.deadline ?? 'none'} passed)`
        : `attempt ${attempt}`,
  };
  try {
    await journal.apply((current) => ({
      ...(current.status === RequestStatus.Provisioning
        ? recordDecision(current, change)
        : transition(current, RequestStatus.Provisioning, change)),
      provisioning: {
        ...current.provisioning,
        attempts: attempt,
        lastError: undefined,
        deadline: new Date(now.getTime() + PROVISIONING_RUN_MS).toISOString(),
      },
    }));
  } catch (error) {
    // Another run started first: it holds the request now.
    if (error instanceof ConflictError && error.code === 'CONCURRENT_UPDATE') return undefined;
    throw error;
  }
  return journal;
}

/**
 * Creates exactly the IAM objects of an approved request's plan, in a fixed order of idempotent
 * steps: buckets left unchecked at submit, OIDC provider check, policy, role, attachments,
 * ServiceAccount. Each change is written ahead (intent, call, confirmation); a run that takes the
 * request up again first settles what the run before left unconfirmed, then verifies finished steps
 * with reads. A revoke recorded meanwhile ends the run before its next change. Failures leave the
 * request `failed` with the error and an expiry (the sweep removes what a failed grant still holds
 * when nobody retried it); they are not thrown.
 */
export async function provisionGrant(id: string, deps: ProvisioningDeps): Promise<AccessRequestRecord> {
  const record = await loadAccessRequest(id, deps);
  // Done, or ending (the revoke removes what exists): nothing to do. Never approved: a mistake, said so.
  if (([RequestStatus.Active, RequestStatus.Revoking, RequestStatus.Revoked, RequestStatus.Expired] as string[]).includes(record.status))
    return record;
  if (record.status !== RequestStatus.Provisioning) assertCanBecome(record, RequestStatus.Provisioning);
  // Held by a run that is still within its deadline (a duplicate delivery of the same job).
  if (isHeldByLiveRun(record, deps.clock.now())) return record;
  const journal = await startRun(record, deps);
  if (!journal) return loadAccessRequest(id, deps);
  const { plan } = journal.current;
  let lease: WorkloadLease | undefined;
  try {
    // Every IAM and EKS call below goes to the cluster's own account; a provisioner role that cannot
    // be assumed fails the grant here, before any write (the session is named after this grant).
    const scope = await inClusterAccount(deps, plan.cluster.name, id);
    const { cluster } = scope;
    const inAccount = scope.deps;
    // Config may have changed since approval (a policy taken off the allow-list): nothing is created that it no longer allows.
    assertRequestFitsConfig(journal.current.request, cluster, deps.config);
    lease = await leaseWorkloadFor(journal.current, deps);
    assertSameTrust(lease.current.subject, plan, lease.current.key);
    await settlePendingIntent(journal, inAccount);
    await lease.save((workload) => withGrant(workload, workloadGrantOf(id, plan, WorkloadGrantStatus.Provisioning)));
    const info = await inAccount.clusters.describeCluster(cluster);
    if (issuerHostPath(info.issuerUrl) !== issuerHostPath(plan.cluster.oidcIssuer)) {
      throw new ConflictError(
        'CLUSTER_ISSUER_CHANGED',
        `cluster ${cluster.name} now has issuer ${info.issuerUrl}, not the approved ${plan.cluster.oidcIssuer}; submit a new request`,
      );
    }
    const rechecked = await recheckUncheckedBuckets(plan, journal.current.request, cluster, deps);
    if (rechecked.length > 0) {
      const reason = `bucket pre-flight again (unchecked at submit): ${rechecked.map((entry) => `${entry.bucket} ${entry.checked ? 'checked' : 'still unchecked'}`).join(', ')}`;
      await journal.applyWhileHeld((current) =>
        recordDecision(current, { type: AuditEventType.BucketsRechecked, actor: SYSTEM_IDENTITY, at: journal.now(), reason }),
      );
    }
    await ensureOidcProvider(plan, journal, inAccount);
    await ensurePolicy(plan, journal, inAccount);
    const roleExpected = otherGrants(lease.current, id).some((grant) => grant.status === WorkloadGrantStatus.Active);
    const roleIsNew = await ensureRole(plan, roleExpected, journal, inAccount);
    const heldByOthers = roleExpected
      ? attachmentsOf(otherGrants(lease.current, id).filter((grant) => grant.status === WorkloadGrantStatus.Active))
      : undefined;
    await ensureAttachments(plan, { roleIsNew, heldByOthers }, journal, inAccount);
    await ensureServiceAccount(journal, lease, inAccount);
    await lease.release((workload) => withGrant(workload, workloadGrantOf(id, plan, WorkloadGrantStatus.Active)));
  } catch (error) {
    return endRunAfter(error, journal, lease, deps);
  }
  const activated = await journal.applyWhileHeld((current) => {
    const now = journal.now();
    return {
      ...transition(current, RequestStatus.Active, {
        type: AuditEventType.Activated,
        actor: SYSTEM_IDENTITY,
        at: now,
        reason: `role ${plan.role.arn} ready`,
      }),
      activatedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + current.durationHours * HOUR_MS).toISOString(),
      provisioning: { ...current.provisioning, deadline: undefined },
      grant: {
        mode: GrantMode.Provisioned,
        note: 'IAM role and policy created by irsa-broker',
        roleArn: plan.role.arn,
        policyArn: plan.permissionPolicy?.arn,
      },
    };
  });
  return verifyAfterProvisioning(activated, deps);
}

const isCode = (error: unknown, ...codes: string[]) => error instanceof BrokerError && codes.includes(error.code);

/**
 * How a run that met an error ends. Superseded (a revoke was recorded, or another run took over):
 * it lets go of the workload and leaves the request to whoever holds it. Busy (another grant of the
 * workload is changing it) or a lost race on the workload: it gives the request back at once, so
 * that Lambda's retry (or the sweep) takes it up, and throws for that retry. Anything else fails the
 * grant with the error and an expiry.
 */
async function endRunAfter(
  error: unknown,
  journal: GrantJournal,
  lease: WorkloadLease | undefined,
  deps: ProvisioningDeps,
): Promise<AccessRequestRecord> {
  const { id, plan } = journal.current;
  if (isCode(error, 'RUN_SUPERSEDED')) {
    await lease?.release().catch(() => undefined);
    return journal.current;
  }
  if (isCode(error, 'CONCURRENT_UPDATE', 'WORKLOAD_BUSY')) {
    await lease?.release().catch(() => undefined);
    await journal
      .applyWhileHeld((current) => ({ ...current, provisioning: { ...current.provisioning, deadline: undefined } }))
      .catch(() => undefined);
    throw error;
  }
  // The grant stays on the workload as failed, so its attachments keep the role alive until it is revoked or expires.
  await lease
    ?.release((workload) =>
      workload.grants.some((grant) => grant.requestId === id)
        ? withGrant(workload, workloadGrantOf(id, plan, WorkloadGrantStatus.Failed))
        : workload,
    )
    .catch(() => undefined);
  const failure = failureOf(error);
  return journal
    .applyWhileHeld((current) => {
      const now = journal.now();
      return {
        ...transition(current, RequestStatus.Failed, {
          type: AuditEventType.Failed,
          actor: SYSTEM_IDENTITY,
          at: now,
          reason: `${failure.code}: ${failure.message}`,
        }),
        expiresAt: new Date(now.getTime() + deps.config.provisioning.failedGrantHours * HOUR_MS).toISOString(),
        provisioning: { ...current.provisioning, lastError: failure, deadline: undefined },
      };
    })
    .catch((writeError: unknown) => {
      if (isCode(writeError, 'RUN_SUPERSEDED')) return journal.current;
      throw writeError;
    });
}
