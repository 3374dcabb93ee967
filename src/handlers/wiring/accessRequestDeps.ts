import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createClusterIssuerSource } from '../../adapters/clusterIssuers';
import { DynamoAccessRequestStore } from '../../adapters/aws/dynamoAccessRequestStore';
import { clientOptions } from '../../adapters/clientBudgets';
import { DynamoWorkloadStore } from '../../adapters/aws/dynamoWorkloadStore';
import { LambdaAsyncQueue } from '../../adapters/aws/lambdaAsyncQueue';
import { NotifyingStore } from '../../adapters/notifyingStore';
import { QueuedNotifier } from '../../adapters/queuedNotifier';
import { loadBrokerConfig } from '../../config';
import { kubeTemplates } from '../../kubeTemplates';
import type { AccessRequestStore, JobQueue } from '../../ports';
import type { AccessRequestDeps } from '../../usecases/accessRequestDeps';
import { ProvisionJobSchema, SlackJobSchema, type JobSchema } from '../../domain/jobs';
import { bucketInspector } from './bucketInspector';
import { slackConfigured } from './slackSecrets';

/** A required environment variable (set in serverless.yml; locally by the start script). */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export const tableName = () => requiredEnv('IRSA_BROKER_TABLE');

/**
 * An asynchronous Lambda invoke of the function named in `functionVariable`, everywhere: deployed,
 * under `npm start` (serverless-offline's Lambda endpoint) and in tests (a stand-in of Lambda's
 * Invoke API), so the bytes a handler receives are always the bytes the SDK sent.
 */
export function jobQueue<Job>(functionVariable: string, schema: JobSchema<Job>, describe: (job: Job) => string): JobQueue<Job> {
  return new LambdaAsyncQueue<Job>(requiredEnv(functionVariable), schema, describe);
}

/** The Slack worker's queue: notifications and the work the Slack endpoints hand over. */
export const slackJobQueue = () => jobQueue('IRSA_BROKER_SLACK_WORKER_FUNCTION', SlackJobSchema, (job) => `Slack ${job.kind}`);

let client: DynamoDBClient | undefined;
let deps: AccessRequestDeps | undefined;

/**
 * One DynamoDB client per cold start, with this function's timeouts and attempts (clientBudgets), so
 * a DynamoDB that hangs is a 503 within the route's time; the SDK's standard retry mode backs off on throttling.
 */
export function dynamoClient(): DynamoDBClient {
  client ??= new DynamoDBClient(clientOptions());
  return client;
}

/**
 * The request store; when Slack is configured, every change is also told there, by the Slack worker,
 * so that no other function carries the Slack client.
 */
function requestStore(): AccessRequestStore {
  const store = new DynamoAccessRequestStore(dynamoClient(), tableName());
  if (!slackConfigured()) return store;
  return new NotifyingStore(store, new QueuedNotifier(slackJobQueue()));
}

/** The access-request use cases' dependencies, built once per cold start. */
export function accessRequestDeps(): AccessRequestDeps {
  if (deps) return deps;
  const config = loadBrokerConfig();
  deps = {
    config,
    store: requestStore(),
    workloads: new DynamoWorkloadStore(dynamoClient(), tableName()),
    clock: { now: () => new Date() },
    ids: { newId: () => randomUUID() },
    // The EKS and STS clients are loaded only if a configured cluster has no issuer.
    issuers: createClusterIssuerSource(async () => (await import('./accountSessions')).clusterIssuers()),
    buckets: bucketInspector(),
    serviceAccountTemplate: kubeTemplates.serviceAccount,
    queue: jobQueue('IRSA_BROKER_PROVISION_FUNCTION', ProvisionJobSchema, (job) => `provisioning of ${job.requestId}`),
  };
  return deps;
}
