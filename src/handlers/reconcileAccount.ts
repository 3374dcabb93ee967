import type { Context, SQSEvent } from 'aws-lambda';
import { ReconcileJobSchema } from '../domain/jobs';
import { runReconcileJob } from '../usecases/reconcileGrants';
import { reconcileDeps } from './wiring/reconcileDeps';

/** Left for writing the cursor, handing over the rest and logging, and for the grant in flight when the budget ends. */
export const BUDGET_MARGIN_MS = 30_000;

/**
 * SQS (batch size 1): reconciles one account's grants within the invocation's time, less a margin;
 * one that ran out of time hands the rest to the next message. A throw leaves the message on the
 * queue for a retry, and then the dead-letter queue.
 */
export const handler = async (event: SQSEvent, context: Pick<Context, 'getRemainingTimeInMillis'>) => {
  const reports = [];
  for (const message of event.Records) {
    const job = ReconcileJobSchema.parse(JSON.parse(message.body));
    const report = await runReconcileJob(
      job,
      { remainingMs: () => context.getRemainingTimeInMillis() - BUDGET_MARGIN_MS },
      reconcileDeps(),
    );
    const drifted = report.drifted.length > 0 || report.failures.length > 0 || report.orphanRoles.length > 0;
    console.log(JSON.stringify({ level: drifted ? 'WARN' : 'INFO', message: 'reconcile pass', ...report }));
    reports.push(report);
  }
  return reports;
};
