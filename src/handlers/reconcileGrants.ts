import { dispatchReconcile } from '../usecases/reconcileGrants';
import { reconcileDeps } from './wiring/reconcileDeps';

/** Scheduled: queues one reconcile job per account; `reconcileAccount` runs each in its own invocation. */
export const handler = async () => {
  const jobs = await dispatchReconcile(reconcileDeps());
  console.log(JSON.stringify({ level: 'INFO', message: 'reconcile pass dispatched', passId: jobs[0]?.passId, accounts: jobs.length }));
  return jobs;
};
