import * as z from 'zod';
import { AuditEventType, RequestStatus, RequestStatusSchema, type AccessRequestRecord } from './requestLifecycle';
import { SlackAction } from './slackMessages';

/**
 * Work one function hands to another with an asynchronous Lambda invoke. Each job has one schema,
 * used by the producer to encode it and by the consumer to parse it, so what is sent is what is
 * parsed. Jobs carry ids and small facts, never whole records: the consumer reads the record.
 */

/** The most bytes a job may take as JSON. Lambda accepts 1 MB per asynchronous event (256 KB before
 * October 2025); jobs stay far below either so that growth of a record can never make a hand-off fail. */
export const MAX_JOB_PAYLOAD_BYTES = 16 * 1024;

/** Provision (or resume provisioning of) an approved request. */
export const ProvisionJobSchema = z.object({ requestId: z.uuid() }).strict();
export type ProvisionJob = z.infer<typeof ProvisionJobSchema>;

/** Slack user, channel and message ids: Slack's own ids are short upper-case words and dotted timestamps. */
const SlackIdSchema = z.string().min(1).max(64);

/** Changes that leave the status as it was but still tell someone: approvers, or the requester. */
export const NOTIFIED_EVENTS = [
  AuditEventType.ExtensionRequested,
  AuditEventType.Extended,
  AuditEventType.ExtensionRejected,
  AuditEventType.ExpiryWarning,
  AuditEventType.Verified,
] as const;
export type NotifiedEvent = (typeof NOTIFIED_EVENTS)[number];

/** What the requester and approvers are told about one stored change of a request. */
export const NotifyJobSchema = z
  .object({
    kind: z.literal('notify'),
    requestId: z.string().min(1).max(64),
    isNew: z.boolean(),
    /** The status the change left the request in (it may have moved on by the time the job runs). */
    status: RequestStatusSchema,
    statusChanged: z.boolean(),
    /** The change's comment or reason, as the requester should read it. */
    note: z.string().max(2000).optional(),
    /** The change, when it is one of those told although the status stays (an extension, a warning). */
    event: z.enum(NOTIFIED_EVENTS).optional(),
    /** The grant's expiry as the change left it. */
    expiresAt: z.string().max(64).optional(),
    /** The hours a pending extension asks for. */
    extensionHours: z.number().int().optional(),
    /** Sent again by the sweep after Lambda gave up on it; one that fails again is not sent a third time. */
    redelivered: z.boolean().optional(),
  })
  .strict();
export type NotifyJob = z.infer<typeof NotifyJobSchema>;

/** An interaction's response_url; where the broker may POST is checked again when it does. */
const ResponseUrlSchema = z.string().max(2048);

/** Work Slack handed over and must not wait for (Slack waits three seconds at most). */
export const SlackJobSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('command'),
      text: z.string().max(8000),
      userId: SlackIdSchema,
      channelId: SlackIdSchema,
      /** Where to answer when the bot may not post in the channel (Slack's response_url). */
      responseUrl: ResponseUrlSchema.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('decision'),
      action: z.enum([SlackAction.Approve, SlackAction.Reject]),
      requestId: z.string().max(64),
      userId: SlackIdSchema,
      channelId: SlackIdSchema,
      messageTs: SlackIdSchema,
      responseUrl: ResponseUrlSchema.optional(),
    })
    .strict(),
  NotifyJobSchema,
]);
export type SlackJob = z.infer<typeof SlackJobSchema>;

/** A job's schema: what `encodeJob` checks before sending and the consumer parses on arrival. */
export type JobSchema<Job> = z.ZodType<Job>;

/**
 * The exact bytes an asynchronous invoke carries for `job`. Refuses what its schema refuses and
 * anything over MAX_JOB_PAYLOAD_BYTES, before anything is sent.
 */
export function encodeJob<Job>(schema: JobSchema<Job>, job: Job): Uint8Array {
  const bytes = new TextEncoder().encode(JSON.stringify(schema.parse(job)));
  if (bytes.byteLength > MAX_JOB_PAYLOAD_BYTES) {
    throw new RangeError(`job of ${bytes.byteLength} bytes exceeds the ${MAX_JOB_PAYLOAD_BYTES}-byte limit for hand-offs`);
  }
  return bytes;
}

/** The notification job for a request just stored: its id and the facts of the change, not the record. */
export function notifyJobOf(record: AccessRequestRecord, isNew: boolean): NotifyJob {
  const last = record.events[record.events.length - 1];
  const note = last?.comment ?? last?.reason;
  const job: NotifyJob = {
    kind: 'notify',
    requestId: record.id,
    isNew,
    status: record.status,
    statusChanged: isNew ? record.status !== RequestStatus.Pending : last !== undefined && last.from !== last.to,
  };
  if (note) job.note = note.slice(0, 2000);
  const event = NOTIFIED_EVENTS.find((type) => type === last?.type);
  if (!event) return job;
  job.event = event;
  if (record.expiresAt) job.expiresAt = record.expiresAt;
  if (record.extension) job.extensionHours = record.extension.durationHours;
  return job;
}

/** Most hand-offs of one account's pass to a fresh invocation; past them the next hourly pass resumes from the cursor. */
export const MAX_RECONCILE_CONTINUATIONS = 24;

/**
 * Reconcile one account's grants (one SQS message per account per pass). The cursor is not in the
 * message: it is kept in the table, so a message that is redelivered or a pass that starts while a
 * continuation is queued resumes from the same place.
 */
export const ReconcileJobSchema = z
  .object({
    accountId: z.string().regex(/^\d{12}$/),
    /** The scheduled pass that started this chain of messages; names the account sessions in CloudTrail. */
    passId: z.string().min(1).max(64),
    /** 0 for the dispatcher's message; each hand-off by a consumer that ran out of time adds one. */
    continuation: z.number().int().min(0).max(MAX_RECONCILE_CONTINUATIONS),
  })
  .strict();
export type ReconcileJob = z.infer<typeof ReconcileJobSchema>;
