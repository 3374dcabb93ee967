import * as z from 'zod';
import { ConflictError, NotFoundError } from '../domain/errors';
import { parseInput } from '../domain/parseInput';
import { RequestStatus, type AccessRequestRecord, type AuditEvent } from '../domain/requestLifecycle';
import type { Page } from '../ports';
import type { AccessRequestDeps } from './accessRequestDeps';
import { loadAccessRequest } from './changeAccessRequest';

/** The query string of an audit-trail read: a page size and the cursor of the previous page. */
export const EventsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().max(2048).optional(),
  })
  .strict()
  .meta({ id: 'EventsQuery' });

/** One access request. */
export function getAccessRequest(id: string, deps: Pick<AccessRequestDeps, 'store'>): Promise<AccessRequestRecord> {
  return loadAccessRequest(id, deps);
}

/** A page of the request's audit trail, oldest first. */
export async function getAccessRequestEvents(
  id: string,
  query: unknown,
  deps: Pick<AccessRequestDeps, 'store'>,
): Promise<Page<AuditEvent>> {
  const page = parseInput(EventsQuerySchema, query ?? {}, 'query');
  const events = await deps.store.events(id, page);
  if (!events) throw new NotFoundError('ACCESS_REQUEST_NOT_FOUND', `no access request ${id}`);
  return events;
}

/** The ServiceAccount manifest of an active grant. */
export async function getAccessRequestManifest(
  id: string,
  deps: Pick<AccessRequestDeps, 'store'>,
): Promise<{ yaml: string; record: AccessRequestRecord }> {
  const record = await loadAccessRequest(id, deps);
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
