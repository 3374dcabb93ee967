import { expirePending, isPendingTimedOut } from '../domain/decisions';
import { SYSTEM_IDENTITY } from '../domain/identity';
import { RequestStatus, type AccessRequestRecord } from '../domain/requestLifecycle';
import type { ProvisioningDeps } from './provisioningDeps';
import { removeGrant } from './removeGrant';

export interface ExpiryReport {
  expiredGrants: string[];
  expiredPending: string[];
  failures: { id: string; code: string; message: string }[];
}

async function* allWithStatus(status: RequestStatus, deps: ProvisioningDeps): AsyncGenerator<AccessRequestRecord> {
  let cursor: string | undefined;
  do {
    const page = await deps.store.list({ status }, { limit: 100, cursor });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

/**
 * The scheduled sweep: grants past their duration are removed and marked expired; pending requests
 * past their timeout are expired. One failure does not stop the sweep; it is reported and retried
 * on the next run.
 */
export async function expireGrants(deps: ProvisioningDeps): Promise<ExpiryReport> {
  const report: ExpiryReport = { expiredGrants: [], expiredPending: [], failures: [] };
  const now = deps.clock.now();
  for await (const record of allWithStatus(RequestStatus.Active, deps)) {
    if (!record.expiresAt || Date.parse(record.expiresAt) > now.getTime()) continue;
    try {
      await removeGrant(record, RequestStatus.Expired, SYSTEM_IDENTITY, undefined, deps);
      report.expiredGrants.push(record.id);
    } catch (error) {
      report.failures.push({ id: record.id, code: (error as { code?: string }).code ?? 'ERROR', message: (error as Error).message });
    }
  }
  for await (const record of allWithStatus(RequestStatus.Pending, deps)) {
    if (!isPendingTimedOut(record, now)) continue;
    try {
      await deps.store.replace({ ...expirePending(record, now), version: record.version + 1 }, record.version);
      report.expiredPending.push(record.id);
    } catch (error) {
      report.failures.push({ id: record.id, code: (error as { code?: string }).code ?? 'ERROR', message: (error as Error).message });
    }
  }
  return report;
}
