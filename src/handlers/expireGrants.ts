import { expireGrants } from '../usecases/expireGrants';
import { provisioningDeps } from './wiring/provisioningDeps';

/** Scheduled: removes grants past their duration and expires pending requests past their timeout. */
export const handler = async () => {
  const report = await expireGrants(provisioningDeps());
  console.log(JSON.stringify({ level: report.failures.length ? 'WARN' : 'INFO', message: 'expiry sweep', ...report }));
  return report;
};
