import { SYSTEM_IDENTITY } from '../domain/identity';
import { ProvisionJobSchema, SlackJobSchema } from '../domain/jobs';
import { AuditEventType, RequestStatus, transition, type AccessRequestRecord } from '../domain/requestLifecycle';
import { loadAccessRequest } from './changeAccessRequest';
import type { FailedInvocation } from '../ports';
import type { ProvisioningDeps } from './provisioningDeps';
import { allWithStatus, sweepFailureOf } from './requestScan';
import { finishEnding, removeGrant } from './removeGrant';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** An approved request whose provisioning has not started this long after approval lost its hand-off. */
export const HANDOFF_GRACE_MS = 2 * MINUTE_MS;
/** Runs of one request the sweep starts on its own; past them, a stuck request fails and waits for a person (or its expiry). */
export const MAX_AUTOMATIC_ATTEMPTS = 5;
/** A grant that failed for a retryable reason is retried after this long times its attempts so far. */
export const RETRY_BACKOFF_MS = 5 * MINUTE_MS;
/** Failed invocations taken from the on-failure queue per pass (SQS hands out ten at a time). */
const MAX_FAILED_INVOCATIONS = 100;

export interface SweepReport {
  /** Provisioning runs past their deadline, handed to the provisioning function again. */
  resumed: string[];
  /** Approved requests whose hand-off was lost, handed off again. */
  handedOff: string[];
  /** Failed grants with a retryable error, tried again. */
  retried: string[];
  /** Requests that stayed stuck through every automatic attempt: failed now, with an expiry. */
  failedStuck: string[];
  /** Failed grants past their expiry: what they held is removed, and they are expired. */
  expiredFailed: string[];
  /** Revokes and expiries whose removal had not finished, finished now. */
  finishedEnding: string[];
  /** Invocations Lambda gave up on, drained from the on-failure destination. */
  failedInvocations: number;
  /** Slack notifications Lambda gave up on, sent once more. */
  redeliveredNotifications: string[];
  /** Drained invocations not sent again: Slack commands and decisions (the person asks again), notifications that failed twice, unreadable payloads. */
  droppedInvocations: { kind: string; requestId?: string; condition?: string }[];
  failures: { id: string; code: string; message: string }[];
}

const ageOf = (record: AccessRequestRecord, now: Date) => now.getTime() - Date.parse(record.updatedAt);
const attemptsOf = (record: AccessRequestRecord) => record.provisioning?.attempts ?? 0;

/** A failed grant's expiry; grants that failed before failures had one get it counted from their last change. */
function failedExpiry(record: AccessRequestRecord, deps: ProvisioningDeps): number {
  return record.expiresAt
    ? Date.parse(record.expiresAt)
    : Date.parse(record.updatedAt) + deps.config.provisioning.failedGrantHours * HOUR_MS;
}

/** Fails a request no automatic attempt could finish; conditional on the version read, like every sweep write. */
async function failStuck(record: AccessRequestRecord, deps: ProvisioningDeps): Promise<void> {
  const now = deps.clock.now();
  const failure = {
    code: 'PROVISIONING_STUCK',
    message: `${attemptsOf(record)} provisioning runs stopped without finishing; retry it, or it expires and is removed`,
    retryable: false,
  };
  const failed = transition(record, RequestStatus.Failed, {
    type: AuditEventType.Failed,
    actor: SYSTEM_IDENTITY,
    at: now,
    reason: `${failure.code}: ${failure.message}`,
  });
  await deps.store.replace(
    {
      ...failed,
      version: record.version + 1,
      expiresAt: new Date(now.getTime() + deps.config.provisioning.failedGrantHours * HOUR_MS).toISOString(),
      provisioning: { ...record.provisioning, lastError: failure, deadline: undefined },
    },
    record.version,
  );
}

/** `handOffLost`: Lambda's on-failure destination says the request's last hand-off ended without a run finishing it. */
type Step = (record: AccessRequestRecord, report: SweepReport, now: Date, handOffLost: boolean) => Promise<void>;

/** What the sweep does with a request in each state it looks after; a request it has nothing to do for is left alone. */
function stepsFor(deps: ProvisioningDeps): Partial<Record<RequestStatus, Step>> {
  const handOff = (record: AccessRequestRecord) => deps.queue.enqueue({ requestId: record.id });
  return {
    [RequestStatus.Provisioning]: async (record, report, now) => {
      const deadline = record.provisioning?.deadline;
      if (deadline !== undefined && Date.parse(deadline) > now.getTime()) return;
      // Runs from before deadlines existed carry none: their last write tells how long they have been still.
      if (deadline === undefined && ageOf(record, now) < HANDOFF_GRACE_MS) return;
      if (attemptsOf(record) >= MAX_AUTOMATIC_ATTEMPTS) {
        await failStuck(record, deps);
        report.failedStuck.push(record.id);
        return;
      }
      await handOff(record);
      report.resumed.push(record.id);
    },
    [RequestStatus.Approved]: async (record, report, now, handOffLost) => {
      if (!handOffLost && ageOf(record, now) < HANDOFF_GRACE_MS) return;
      await handOff(record);
      report.handedOff.push(record.id);
    },
    [RequestStatus.Failed]: async (record, report, now) => {
      if (failedExpiry(record, deps) <= now.getTime()) {
        await removeGrant(record, RequestStatus.Expired, SYSTEM_IDENTITY, undefined, deps);
        report.expiredFailed.push(record.id);
        return;
      }
      const { lastError } = record.provisioning ?? {};
      const due = ageOf(record, now) >= RETRY_BACKOFF_MS * Math.max(1, attemptsOf(record));
      if (lastError?.retryable && attemptsOf(record) < MAX_AUTOMATIC_ATTEMPTS && due) {
        await handOff(record);
        report.retried.push(record.id);
      }
    },
    [RequestStatus.Revoking]: async (record, report) => {
      await finishEnding(record, deps);
      report.finishedEnding.push(record.id);
    },
  };
}

/**
 * A Slack job Lambda gave up on: a notification is sent once more (marked, so a second failure ends
 * it); a command or a decision is not (its person saw no answer and asks again, and a decision
 * minutes late would surprise); either way it is reported.
 */
async function takeUpSlackJob(invocation: FailedInvocation, report: SweepReport, deps: ProvisioningDeps): Promise<void> {
  const parsed = SlackJobSchema.safeParse(invocation.payload);
  const condition = invocation.condition ? { condition: invocation.condition } : {};
  if (!parsed.success) {
    report.droppedInvocations.push({ kind: 'unreadable', ...condition });
    return;
  }
  const job = parsed.data;
  const requestId = 'requestId' in job ? { requestId: job.requestId } : {};
  if (job.kind === 'notify' && !job.redelivered && deps.slackJobs) {
    await deps.slackJobs.enqueue({ ...job, redelivered: true });
    report.redeliveredNotifications.push(job.requestId);
    return;
  }
  report.droppedInvocations.push({ kind: job.kind, ...requestId, ...condition });
}

/**
 * The scheduled sweep: nothing stays stuck. Provisioning runs past their deadline are resumed (and
 * after MAX_AUTOMATIC_ATTEMPTS failed, with an expiry); approved requests whose hand-off was lost are
 * handed off again; failed grants are retried when their error was retryable, and past their expiry
 * are expired with everything they held removed; revokes and expiries that could not finish are
 * finished. It first drains the asynchronous functions' on-failure destination: each provisioning
 * invocation Lambda gave up on is looked at the same way at once, a lost Slack notification is sent
 * once more. One failure does not stop the sweep.
 */
export async function sweepRequests(deps: ProvisioningDeps): Promise<SweepReport> {
  const report: SweepReport = {
    resumed: [],
    handedOff: [],
    retried: [],
    failedStuck: [],
    expiredFailed: [],
    finishedEnding: [],
    failedInvocations: 0,
    redeliveredNotifications: [],
    droppedInvocations: [],
    failures: [],
  };
  const steps = stepsFor(deps);
  const sweep = async (record: AccessRequestRecord, handOffLost = false) => {
    try {
      await steps[record.status]?.(record, report, deps.clock.now(), handOffLost);
    } catch (error) {
      report.failures.push(sweepFailureOf(record.id, error));
    }
  };
  const seen = new Set<string>();
  if (deps.failedInvocations) {
    for (let taken = 0; taken < MAX_FAILED_INVOCATIONS;) {
      const batch = await deps.failedInvocations.receive(10);
      if (batch.length === 0) break;
      taken += batch.length;
      for (const invocation of batch) {
        report.failedInvocations++;
        const job = ProvisionJobSchema.safeParse(invocation.payload);
        if (job.success) {
          if (!seen.has(job.data.requestId)) {
            seen.add(job.data.requestId);
            await sweep(await loadAccessRequest(job.data.requestId, deps), true).catch(() => undefined);
          }
        } else await takeUpSlackJob(invocation, report, deps);
        await deps.failedInvocations.delete(invocation.receipt);
      }
    }
  }
  for (const status of [RequestStatus.Revoking, RequestStatus.Provisioning, RequestStatus.Approved, RequestStatus.Failed]) {
    for await (const record of allWithStatus(status, deps)) if (!seen.has(record.id)) await sweep(record);
  }
  return report;
}
