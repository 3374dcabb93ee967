import { ConflictError } from '../domain/errors';
import { RequestStatus, type AccessRequestRecord, type AuditEvent } from '../domain/requestLifecycle';
import type { AccessRequestDeps } from './accessRequestDeps';
import { loadAccessRequest } from './changeAccessRequest';

/** One access request. */
export function getAccessRequest(id: string, deps: Pick<AccessRequestDeps, 'store'>): Promise<AccessRequestRecord> {
  return loadAccessRequest(id, deps);
}

/** The request's audit trail, oldest first. */
export async function getAccessRequestEvents(id: string, deps: Pick<AccessRequestDeps, 'store'>): Promise<AuditEvent[]> {
  return (await loadAccessRequest(id, deps)).events;
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
