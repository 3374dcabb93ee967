import { sweepRequests } from '../usecases/sweepRequests';
import { provisioningDeps } from './wiring/provisioningDeps';

/** Scheduled: resumes stuck provisioning, re-hands-off lost approvals, retries and expires failed grants, finishes revokes. */
export const handler = async () => {
  const report = await sweepRequests(provisioningDeps());
  const acted = Object.values(report).some((value) => (Array.isArray(value) ? value.length > 0 : value > 0));
  console.log(JSON.stringify({ level: report.failures.length ? 'WARN' : acted ? 'INFO' : 'DEBUG', message: 'sweep', ...report }));
  return report;
};
