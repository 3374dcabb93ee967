import * as z from 'zod';
import type { ApprovalRule } from '../domain/approvalRules';
import { ConflictError, NotFoundError } from '../domain/errors';
import type { CallerIdentity } from '../domain/identity';
import { canRead, seesPeople } from '../domain/readAccess';
import { parseInput } from '../domain/parseInput';
import { RequestStatus, type AccessRequestRecord, type AuditEvent } from '../domain/requestLifecycle';
import type { Page } from '../ports';
import type { AccessRequestDeps } from './accessRequestDeps';
import { loadAccessRequest } from './changeAccessRequest';

type ReadDeps = Pick<AccessRequestDeps, 'store' | 'config'>;

/** A request as one caller may see it: whether they see other people's emails and groups. */
export interface ReadableRequest {
  record: AccessRequestRecord;
  /** The reader, and whether they see other people's emails, groups and person ids. */
  reader: { caller: CallerIdentity; seesPeople: boolean };
}

/** The rule a request was submitted under, if config still has it. */
export function ruleOfRecord(record: AccessRequestRecord, deps: Pick<AccessRequestDeps, 'config'>): ApprovalRule | undefined {
  return deps.config.approvalRules.find((rule) => rule.id === record.ruleId);
}

/** Whether the caller may read the request, and how much of the people in it. */
export function readerOf(record: AccessRequestRecord, caller: CallerIdentity, deps: Pick<AccessRequestDeps, 'config'>) {
  const rule = ruleOfRecord(record, deps);
  return {
    mayRead: canRead(caller, rule, record, deps.config.identity),
    reader: { caller, seesPeople: seesPeople(caller, rule, deps.config.identity) },
  };
}

/** Loads a request the caller may read; one they may not is as unknown as one that does not exist. */
async function loadReadable(id: string, caller: CallerIdentity, deps: ReadDeps): Promise<ReadableRequest> {
  const record = await loadAccessRequest(id, deps);
  const { mayRead, reader } = readerOf(record, caller, deps);
  if (!mayRead) throw new NotFoundError('ACCESS_REQUEST_NOT_FOUND', `no access request ${id}`);
  return { record, reader };
}

/** The query string of an audit-trail read: a page size and the cursor of the previous page. */
export const EventsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().max(2048).optional(),
  })
  .strict()
  .meta({ id: 'EventsQuery' });

/** One access request. */
export function getAccessRequest(id: string, caller: CallerIdentity, deps: ReadDeps): Promise<ReadableRequest> {
  return loadReadable(id, caller, deps);
}

/** A page of the request's audit trail, oldest first, for a caller who may read the request. */
export async function getAccessRequestEvents(
  id: string,
  caller: CallerIdentity,
  query: unknown,
  deps: ReadDeps,
): Promise<{ page: Page<AuditEvent>; reader: ReadableRequest['reader'] }> {
  const paging = parseInput(EventsQuerySchema, query ?? {}, 'query');
  const { reader } = await loadReadable(id, caller, deps);
  const page = await deps.store.events(id, paging);
  if (!page) throw new NotFoundError('ACCESS_REQUEST_NOT_FOUND', `no access request ${id}`);
  return { page, reader };
}

/** The ServiceAccount manifest of an active grant. */
export async function getAccessRequestManifest(
  id: string,
  caller: CallerIdentity,
  deps: ReadDeps,
): Promise<{ yaml: string; record: AccessRequestRecord }> {
  const { record } = await loadReadable(id, caller, deps);
  if (record.status !== RequestStatus.Active) {
    throw new ConflictError(
      'GRANT_NOT_ACTIVE',
      `access request ${id} is ${record.status}; its manifest is served once the grant is active`,
      {
        details: { current: record.status },
      },
    );
  }
  return { yaml: record.plan.serviceAccount.yaml, record };
}
