import { reconcileGrants } from '../usecases/reconcileGrants';
import { provisioningDeps } from './wiring/provisioningDeps';

/** Scheduled: compares provisioned grants with their plans, audits drift, repairs it where configured. */
export const handler = async () => {
  const report = await reconcileGrants(provisioningDeps());
  console.log(
    JSON.stringify({ level: report.drifted.length || report.failures.length ? 'WARN' : 'INFO', message: 'reconcile pass', ...report }),
  );
  return report;
};
