import { backOff } from 'exponential-backoff';
import { Delivery } from '../domain/accessRequest';
import { findApprovalRule } from '../domain/approvalRules';
import { assertMayManageGrant } from '../domain/decisions';
import { BrokerError, ConflictError } from '../domain/errors';
import { SYSTEM_IDENTITY, type CallerIdentity } from '../domain/identity';
import { AuditEventType, recordDecision, RequestStatus, type AccessRequestRecord } from '../domain/requestLifecycle';
import {
  CheckResult,
  makeS3Probes,
  unprovedWrites,
  verificationOutcome,
  VerificationStep,
  type Verification,
  type VerificationCheck,
} from '../domain/verification';
import type { ProbeAnswer } from '../ports';
import { loadAccessRequest } from './changeAccessRequest';
import { clusterConnectionOf, inClusterAccount, type AccountScope } from './accountScope';
import type { ProvisioningDeps } from './provisioningDeps';

/** The audience IRSA tokens carry (the pod identity webhook projects the same). */
export const STS_AUDIENCE = 'sts.amazonaws.com';

/** How long to wait for IAM to show a new role and policy to STS and S3 (eventually consistent, seconds). */
export interface VerificationBackoff {
  attempts: number;
  startingDelayMs: number;
}
const DEFAULT_BACKOFF: VerificationBackoff = { attempts: 5, startingDelayMs: 2000 };

/** Refusals IAM's eventual consistency can explain: STS or S3 saying no right after the role was made. */
const RETRIED_STEPS: ReadonlySet<string> = new Set([
  VerificationStep.AssumeRole,
  VerificationStep.List,
  VerificationStep.Get,
  VerificationStep.Put,
  VerificationStep.Delete,
]);
class RetryableFailure extends Error {}

const checkOf = (step: VerificationCheck['step'], target: string, answer: ProbeAnswer): VerificationCheck =>
  answer.allowed
    ? { step, target, result: CheckResult.Passed }
    : { step, target, result: CheckResult.Failed, code: answer.code, message: answer.message };

/** One pass of the pod's path: token, role, then each S3 call the grants allow. */
async function runChecks(record: AccessRequestRecord, deps: ProvisioningDeps): Promise<VerificationCheck[]> {
  const { plan, request } = record;
  const serviceAccount = `${request.namespace}/${request.serviceAccount}`;
  const probes = makeS3Probes(request.grants, record.id, deps.config.verification.writeProbe);
  const skippedWrites = unprovedWrites(request.grants, deps.config.verification.writeProbe);
  const { tokens, prober } = await deps.verifier();
  let token: string | undefined;
  let scope: AccountScope;
  try {
    // Token and role are read in the cluster's own account, through its session.
    scope = await inClusterAccount(deps, plan.cluster.name, record.id);
    token = await tokens.requestToken(await clusterConnectionOf(scope), request.namespace, request.serviceAccount, STS_AUDIENCE);
  } catch (error) {
    if (!(error instanceof BrokerError)) throw error;
    return [{ step: VerificationStep.Token, target: serviceAccount, result: CheckResult.Failed, code: error.code, message: error.message }];
  }
  if (token === undefined) {
    // Delivery `manifest`: until someone applies it, there is no ServiceAccount to speak for the pod.
    const why =
      request.delivery === Delivery.Manifest
        ? 'the ServiceAccount is not in the cluster yet (delivery manifest): apply the manifest, then verify again'
        : 'the ServiceAccount is not in the cluster';
    const role = await scope.deps.iam.findRole(plan.role.name);
    return [
      { step: VerificationStep.Token, target: serviceAccount, result: CheckResult.Skipped, code: 'SERVICE_ACCOUNT_MISSING', message: why },
      role
        ? {
            step: VerificationStep.AssumeRole,
            target: plan.role.arn,
            result: CheckResult.Skipped,
            code: 'NO_TOKEN',
            message: 'the role exists; assuming it needs the ServiceAccount token',
          }
        : {
            step: VerificationStep.AssumeRole,
            target: plan.role.arn,
            result: CheckResult.Failed,
            code: 'NoSuchEntity',
            message: 'the role does not exist',
          },
      ...probes.map((probe) => ({
        step: probe.step,
        target: `s3://${probe.bucket}/${probe.key}`,
        result: CheckResult.Skipped,
        code: 'NO_TOKEN',
        message: 'not verified without the ServiceAccount token',
      })),
      ...skippedWrites,
    ];
  }
  const checks: VerificationCheck[] = [{ step: VerificationStep.Token, target: serviceAccount, result: CheckResult.Passed }];
  const assumed = await prober.assumeRole(plan.role.arn, token, `irsa-broker-verify-${record.id}`.slice(0, 64), plan.cluster.region);
  checks.push(checkOf(VerificationStep.AssumeRole, plan.role.arn, assumed.answer));
  if (!assumed.session) return checks;
  const regions = new Map((plan.buckets ?? []).map((bucket) => [bucket.bucket, bucket.region ?? plan.cluster.region]));
  for (const probe of probes) {
    const answer = await assumed.session.run(probe, regions.get(probe.bucket) ?? plan.cluster.region);
    checks.push(checkOf(probe.step, `s3://${probe.bucket}/${probe.key}`, answer));
  }
  return [...checks, ...skippedWrites];
}

/**
 * Proves an active grant the way its pod will use it: a TokenRequest for the ServiceAccount
 * (audience sts.amazonaws.com), AssumeRoleWithWebIdentity into the workload's role, then the S3 calls
 * the grant's levels allow inside each prefix. Right after provisioning IAM may not show the new
 * role or policy yet, so a failed pass is tried again with backoff before it counts. The result is
 * kept on the request (`verification`) and audited; it never changes the request's state.
 */
export async function verifyGrant(
  id: string,
  actor: CallerIdentity,
  deps: ProvisioningDeps,
  backoff: VerificationBackoff = DEFAULT_BACKOFF,
): Promise<AccessRequestRecord> {
  const record = await loadAccessRequest(id, deps);
  if (record.status !== RequestStatus.Active) {
    throw new ConflictError('NOT_VERIFIABLE', `access request ${id} is ${record.status}; only an active grant can be verified`, {
      details: { current: record.status },
    });
  }
  let attempts = 0;
  let checks: VerificationCheck[] = [];
  await backOff(
    async () => {
      attempts++;
      checks = await runChecks(record, deps);
      const failed = checks.find((check) => check.result === CheckResult.Failed);
      if (failed && RETRIED_STEPS.has(failed.step)) throw new RetryableFailure(failed.code);
    },
    {
      numOfAttempts: backoff.attempts,
      startingDelay: backoff.startingDelayMs,
      timeMultiple: 2,
      jitter: 'full',
      retry: (error: unknown) => error instanceof RetryableFailure,
    },
  ).catch((error: unknown) => {
    // The last pass's checks say what failed; anything else (no cluster, no store) is the caller's.
    if (!(error instanceof RetryableFailure)) throw error;
  });
  const now = deps.clock.now();
  const verification: Verification = { outcome: verificationOutcome(checks), at: now.toISOString(), attempts, checks };
  const failed = checks.find((check) => check.result === CheckResult.Failed);
  const reason = failed ? `${verification.outcome}: ${failed.step} ${failed.target ?? ''} ${failed.code}`.trim() : verification.outcome;
  const latest = await loadAccessRequest(id, deps);
  const next = {
    ...recordDecision(latest, { type: AuditEventType.Verified, actor, at: now, reason }),
    verification,
    version: latest.version + 1,
  };
  await deps.store.replace(next, latest.version);
  return next;
}

/** On demand the grant is usually settled: one retry, so the answer fits API Gateway's 30 seconds. */
const ON_DEMAND_BACKOFF: VerificationBackoff = { attempts: 2, startingDelayMs: 1000 };

/** POST /access-requests/{id}/verify: the requester or an approver asks for proof of an active grant. */
export async function verifyAccessRequest(id: string, caller: CallerIdentity, deps: ProvisioningDeps): Promise<AccessRequestRecord> {
  const record = await loadAccessRequest(id, deps);
  assertMayManageGrant(record, findApprovalRule(deps.config.approvalRules, record.request.cluster, record.request.namespace), caller);
  return verifyGrant(id, caller, deps, ON_DEMAND_BACKOFF);
}

/** After provisioning (when config asks): a verification that fails is recorded, never thrown. */
export async function verifyAfterProvisioning(record: AccessRequestRecord, deps: ProvisioningDeps): Promise<AccessRequestRecord> {
  if (record.status !== RequestStatus.Active || !deps.config.verification.afterProvisioning) return record;
  return verifyGrant(record.id, SYSTEM_IDENTITY, deps).catch(() => record);
}
