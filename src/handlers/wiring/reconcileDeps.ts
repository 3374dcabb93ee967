import { DynamoReconcileCursorStore } from '../../adapters/aws/dynamoReconcileCursorStore';
import { SqsJobQueue } from '../../adapters/aws/sqsJobQueue';
import { ReconcileJobSchema, type ReconcileJob } from '../../domain/jobs';
import type { ReconcileDeps } from '../../usecases/reconcileDeps';
import { dynamoClient, requiredEnv, tableName } from './accessRequestDeps';
import { provisioningDeps } from './provisioningDeps';

let deps: ReconcileDeps | undefined;

/** One FIFO message group per account: SQS delivers one account's passes one at a time. */
const reconcileKeys = {
  groupOf: (job: ReconcileJob) => job.accountId,
  deduplicationOf: (job: ReconcileJob) => `${job.passId}-${job.accountId}-${job.continuation}`,
};

/** Dependencies of the reconcile dispatcher and its per-account consumer, built once per cold start. */
export function reconcileDeps(): ReconcileDeps {
  deps ??= {
    ...provisioningDeps(),
    cursors: new DynamoReconcileCursorStore(dynamoClient(), tableName()),
    reconcileQueue: new SqsJobQueue(
      requiredEnv('IRSA_BROKER_RECONCILE_QUEUE_URL'),
      ReconcileJobSchema,
      reconcileKeys,
      (job) => `the reconcile pass of account ${job.accountId}`,
    ),
  };
  return deps;
}
