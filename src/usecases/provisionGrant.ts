import { backOff } from 'exponential-backoff';
import { Delivery } from '../domain/accessRequest';
import { issuerHostPath } from '../domain/arns';
import { BrokerError, ConflictError, DependencyUnavailableError, isRetryable } from '../domain/errors';
import { assertRequestFitsConfig, type GrantPlan } from '../domain/grantPlan';
import { SYSTEM_IDENTITY } from '../domain/identity';
import { assertOwnedByRequest, assertOwnedByWorkload, sameDocument } from '../domain/ownership';
import { AuditEventType, GrantMode, RequestStatus, transition, type AccessRequestRecord } from '../domain/requestLifecycle';
import type { PolicyDocument } from '../domain/policyDocument';
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
import type { ClusterConnection, LivePolicy } from '../ports';
import { recheckUncheckedBuckets } from './bucketFacts';
import { GrantJournal } from './grantJournal';
import { loadAccessRequest } from './changeAccessRequest';
import { clusterConnectionOf, inClusterAccount } from './accountScope';
import { verifyAfterProvisioning } from './verifyGrant';
import { WorkloadLease } from './workloadLease';
import { grantsHoldingObjects } from './workloadState';
import type { ProvisioningDeps } from './provisioningDeps';

const HOUR_MS = 3_600_000;
/** IAM keeps at most five versions of a managed policy. */
const POLICY_VERSION_LIMIT = 5;

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
  await deps.iam.createOidcProvider(plan.cluster.oidcIssuer, plan.role.tags.slice(0, 2));
  await journal.change(`CreateOpenIDConnectProvider ${arn}`);
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

async function ensurePolicyDocument(
  policy: NonNullable<GrantPlan['permissionPolicy']>,
  journal: GrantJournal,
  deps: ProvisioningDeps,
): Promise<void> {
  const live = await deps.iam.findPolicy(policy.arn);
  if (!live) {
    // Deleted behind the broker's back since it was created: make it again.
    await deps.iam.createPolicy({ ...policy, description: `irsa-broker grant ${journal.current.id}` });
    await journal.change(`CreatePolicy ${policy.arn} (it had disappeared)`);
    return;
  }
  assertOwnedByRequest('policy', policy.name, live.tags, journal.current.id);
  if (sameDocument(live.defaultDocument, policy.document)) return;
  await setDefaultPolicyDocument(live, policy.document, journal, deps);
}

/**
 * Makes `document` the policy's default version, first deleting the oldest non-default version when
 * IAM's limit of five is reached (IAM would refuse the new one; the SDK would even retry that as
 * throttling). Each change is audited.
 */
export async function setDefaultPolicyDocument(
  live: LivePolicy,
  document: PolicyDocument,
  journal: GrantJournal,
  deps: ProvisioningDeps,
): Promise<void> {
  const oldest = live.versions.find((version) => !version.isDefault);
  if (live.versions.length >= POLICY_VERSION_LIMIT && oldest) {
    await deps.iam.deletePolicyVersion(live.arn, oldest.versionId);
    await journal.change(`DeletePolicyVersion ${live.arn} ${oldest.versionId} (oldest, to stay within IAM's five versions)`);
  }
  await deps.iam.createDefaultPolicyVersion(live.arn, document);
  await journal.change(`CreatePolicyVersion ${live.arn} (document differed; new default)`);
}

async function ensurePolicy(plan: GrantPlan, journal: GrantJournal, deps: ProvisioningDeps): Promise<void> {
  const policy = plan.permissionPolicy;
  if (!policy) return;
  if (!journal.progress.policyCreated) {
    const outcome = await deps.iam.createPolicy({ ...policy, description: `irsa-broker grant ${journal.current.id}` });
    if (outcome === 'created') {
      await journal.change(`CreatePolicy ${policy.arn}`, { policyCreated: true });
      return;
    }
  }
  await ensurePolicyDocument(policy, journal, deps);
  if (!journal.progress.policyCreated)
    await journal.apply((record) => ({ ...record, provisioning: { ...record.provisioning, policyCreated: true } }));
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
    const outcome = await deps.iam.createRole({ ...role, description: roleDescription(journal) });
    if (outcome === 'created') {
      await journal.change(`CreateRole ${role.arn}`, { roleCreated: true });
      return true;
    }
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
    await deps.iam.createRole({ ...role, description: roleDescription(journal) });
    await journal.change(`CreateRole ${role.arn} (it had disappeared)`, { roleCreated: true });
    return true;
  }
  assertOwnedByWorkload(role.name, live.tags, journal.current.request);
  if (!sameDocument(live.trustPolicy, role.trustPolicy)) {
    await deps.iam.updateTrustPolicy(role.name, role.trustPolicy);
    await journal.change(`UpdateAssumeRolePolicy ${role.arn} (trust differed)`);
  }
  if (live.permissionsBoundaryArn !== role.permissionsBoundaryArn) {
    await deps.iam.putPermissionsBoundary(role.name, role.permissionsBoundaryArn);
    await journal.change(`PutRolePermissionsBoundary ${role.arn} ${role.permissionsBoundaryArn}`);
  }
  if (!journal.progress.roleCreated)
    await journal.apply((record) => ({ ...record, provisioning: { ...record.provisioning, roleCreated: true } }));
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
    await retryWhileNotVisible(() => deps.iam.attachPolicy(plan.role.name, arn));
    await journal.change(`AttachRolePolicy ${plan.role.arn} ${arn}`, { attached: [...(journal.progress.attached ?? []), arn] });
  }
}

/** How to reach the request's cluster, from config and DescribeCluster. */
export async function clusterConnection(plan: GrantPlan, grantId: string, deps: ProvisioningDeps): Promise<ClusterConnection> {
  return clusterConnectionOf(await inClusterAccount(deps, plan.cluster.name, grantId));
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
  const applied = await applier.apply(await clusterConnection(plan, journal.current.id, deps), plan.serviceAccount.manifest, {
    adopt: request.adoptExistingServiceAccount && deps.config.delivery.allowAdoption,
    createNamespace: deps.config.delivery.createNamespaces,
    ownerIds: [journal.current.id],
  });
  const ownership = journal.progress.serviceAccount ?? (applied.outcome === 'adopted' ? 'adopted' : 'created');
  if (applied.outcome === 'unchanged' && journal.progress.serviceAccount && lease.current.binding) return;
  await journal.change(
    `ServiceAccount ${request.namespace}/${request.serviceAccount} ${applied.outcome}`,
    { serviceAccount: ownership },
    AuditEventType.KubernetesChange,
  );
  await lease.save((workload) => ({
    ...workload,
    binding: {
      ownership: ownership === 'adopted' ? 'adopted' : 'created',
      appliedBy: journal.current.id,
      ...(applied.outcome === 'adopted' ? { before: applied.before } : workload.binding?.before ? { before: workload.binding.before } : {}),
    },
  }));
}

function failureOf(error: unknown): { code: string; message: string; retryable: boolean } {
  if (error instanceof BrokerError) return { code: error.code, message: error.message, retryable: isRetryable(error) };
  return { code: 'PROVISIONING_ERROR', message: error instanceof Error ? error.message : String(error), retryable: false };
}

/** Waits this long for another grant's change of the same workload (well within the function's 120 s). */
const LEASE_WAIT_MS = 60_000;

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

/**
 * Creates exactly the IAM objects of an approved request's plan, in a fixed order of idempotent
 * steps: buckets left unchecked at submit, OIDC provider check, policy, role, attachments. Each AWS change is audited as it happens.
 * A retry after a failure at any step completes the grant; finished steps are verified with reads.
 * Failures leave the request `failed` with the error recorded; they are not thrown.
 */
export async function provisionGrant(id: string, deps: ProvisioningDeps): Promise<AccessRequestRecord> {
  const record = await loadAccessRequest(id, deps);
  if (record.status === RequestStatus.Active) return record;
  const journal = new GrantJournal(record, deps);
  if (record.status !== RequestStatus.Provisioning) {
    await journal.apply((current) => ({
      ...transition(current, RequestStatus.Provisioning, {
        type: AuditEventType.ProvisioningStarted,
        actor: SYSTEM_IDENTITY,
        at: journal.now(),
        reason: `attempt ${(current.provisioning?.attempts ?? 0) + 1}`,
      }),
      provisioning: { ...current.provisioning, attempts: (current.provisioning?.attempts ?? 0) + 1, lastError: undefined },
    }));
  }
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
    await lease.save((workload) => withGrant(workload, workloadGrantOf(id, plan, WorkloadGrantStatus.Provisioning)));
    const info = await inAccount.clusters.describeCluster(cluster);
    if (issuerHostPath(info.issuerUrl) !== issuerHostPath(plan.cluster.oidcIssuer)) {
      throw new ConflictError(
        'CLUSTER_ISSUER_CHANGED',
        `cluster ${cluster.name} now has issuer ${info.issuerUrl}, not the approved ${plan.cluster.oidcIssuer}; submit a new request`,
      );
    }
    await recheckUncheckedBuckets(plan, journal.current.request, cluster, deps);
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
    // Lost races and a busy workload are for Lambda's retry (or /retry) to take up again.
    if (error instanceof BrokerError && (error.code === 'CONCURRENT_UPDATE' || error.code === 'WORKLOAD_BUSY')) throw error;
    // The grant stays on the workload as failed, so its attachments keep the role alive until it is revoked.
    await lease
      ?.release((workload) =>
        workload.grants.some((grant) => grant.requestId === id)
          ? withGrant(workload, workloadGrantOf(id, plan, WorkloadGrantStatus.Failed))
          : workload,
      )
      .catch(() => undefined);
    const failure = failureOf(error);
    return journal.apply((current) => ({
      ...transition(current, RequestStatus.Failed, {
        type: AuditEventType.Failed,
        actor: SYSTEM_IDENTITY,
        at: journal.now(),
        reason: `${failure.code}: ${failure.message}`,
      }),
      provisioning: { ...current.provisioning, lastError: failure },
    }));
  }
  const activated = await journal.apply((current) => {
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
