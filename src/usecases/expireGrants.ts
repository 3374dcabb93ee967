import { expirePending, isPendingTimedOut } from '../domain/decisions';
import { isExpiryWarningDue, warnOfExpiry } from '../domain/extensions';
import { SYSTEM_IDENTITY } from '../domain/identity';
import { RequestStatus } from '../domain/requestLifecycle';
import type { ProvisioningDeps } from './provisioningDeps';
import { allWithStatus, sweepFailureOf } from './requestScan';
import { removeGrant } from './removeGrant';

export interface ExpiryReport {
  expiredGrants: string[];
  expiredPending: string[];
  /** Active grants whose requesters were warned on this pass that they expire soon. */
  expiryWarnings: string[];
  failures: { id: string; code: string; message: string }[];
}

/**
 * The scheduled sweep: grants past their duration are removed and marked expired; requesters of
 * grants that expire within `notifications.expiryWarningHours` are warned once per expiry (the
 * warning is a stored change, so the notifier tells it and the next pass sees it was told); pending
 * requests past their timeout are expired. One failure does not stop the sweep; it is reported and
 * retried on the next run.
 */
export async function expireGrants(deps: ProvisioningDeps): Promise<ExpiryReport> {
  const report: ExpiryReport = { expiredGrants: [], expiredPending: [], expiryWarnings: [], failures: [] };
  const now = deps.clock.now();
  const warningHours = deps.config.notifications.expiryWarningHours;
  for await (const record of allWithStatus(RequestStatus.Active, deps)) {
    try {
      if (record.expiresAt && Date.parse(record.expiresAt) <= now.getTime()) {
        await removeGrant(record, RequestStatus.Expired, SYSTEM_IDENTITY, undefined, deps);
        report.expiredGrants.push(record.id);
      } else if (isExpiryWarningDue(record, now, warningHours)) {
        // Conditional on the version read: a grant extended meanwhile is warned, if at all, on the next pass.
        await deps.store.replace({ ...warnOfExpiry(record, now), version: record.version + 1 }, record.version);
        report.expiryWarnings.push(record.id);
      }
    } catch (error) {
      report.failures.push(sweepFailureOf(record.id, error));
    }
  }
  for await (const record of allWithStatus(RequestStatus.Pending, deps)) {
    if (!isPendingTimedOut(record, now)) continue;
    try {
      await deps.store.replace({ ...expirePending(record, now), version: record.version + 1 }, record.version);
      report.expiredPending.push(record.id);
    } catch (error) {
      report.failures.push(sweepFailureOf(record.id, error));
    }
  }
  return report;
}
