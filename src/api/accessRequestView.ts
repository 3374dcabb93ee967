import * as z from 'zod';
import { CallerIdentitySchema, isSamePerson, type CallerIdentity, type PersonClues } from '../domain/identity';
import { AccessRequestRecordSchema, type AccessRequestRecord, type AuditEvent } from '../domain/requestLifecycle';

/**
 * An access request as the API shows it: everything but the audit trail, which has its own route.
 * Other people's emails, groups and person ids are left out unless the reader is an approver or
 * an auditor.
 */
export const AccessRequestViewSchema = AccessRequestRecordSchema.omit({ events: true })
  .extend({ requester: CallerIdentitySchema.partial({ groups: true }) })
  .meta({ id: 'AccessRequestView' });
export type AccessRequestView = z.infer<typeof AccessRequestViewSchema>;

/** Who reads, and whether they see other people's emails and groups. */
export interface Reader {
  caller: CallerIdentity;
  seesPeople: boolean;
}

/** Someone's identity as this reader may see it: all of it when it is the reader's own. */
function shown<Identity extends PersonClues & { groups?: string[] }>(identity: Identity, reader: Reader): Identity {
  if (reader.seesPeople || isSamePerson(identity, reader.caller)) return identity;
  const { email: _email, groups: _groups, person: _person, ...rest } = identity;
  return rest as Identity;
}

export function toAccessRequestView(record: AccessRequestRecord, reader: Reader): AccessRequestView {
  const { events: _events, ...view } = record;
  return {
    ...view,
    requester: shown(record.requester, reader),
    approvals: record.approvals.map((approval) => shown(approval, reader)),
  };
}

/** The audit trail as this reader may see it. */
export function toEventViews(events: readonly AuditEvent[], reader: Reader): AuditEvent[] {
  return events.map((event) => ({ ...event, actor: shown(event.actor, reader) }));
}

/** Body of approve, reject, cancel and revoke. */
export const DecisionBodySchema = z
  .object({ comment: z.string().max(1000).optional() })
  .strict()
  .meta({ id: 'DecisionBody' });
