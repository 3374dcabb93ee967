import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createClusterIssuerSource } from '../../adapters/clusterIssuers';
import { DynamoAccessRequestStore } from '../../adapters/aws/dynamoAccessRequestStore';
import { LambdaAsyncQueue } from '../../adapters/aws/lambdaAsyncQueue';
import { InlineJobQueue } from '../../adapters/inlineJobQueue';
import { NotifyingStore } from '../../adapters/notifyingStore';
import { QueuedNotifier } from '../../adapters/queuedNotifier';
import { loadBrokerConfig } from '../../config';
import { kubeTemplates } from '../../kubeTemplates';
import type { AccessRequestStore, JobQueue } from '../../ports';
import type { AccessRequestDeps } from '../../usecases/accessRequestDeps';
import type { SlackJob } from '../../usecases/slackJobs';
import { slackConfigured } from './slackSecrets';

/** A required environment variable (set in serverless.yml; locally by the start script). */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export const tableName = () => requiredEnv('IRSA_BROKER_TABLE');

/**
 * An asynchronous Lambda invoke of the function named in `functionVariable`; with IRSA_BROKER_JOBS
 * "inline" (tests), the worker registered under that variable's name runs in this process instead.
 */
export function jobQueue<Job>(functionVariable: string, describe: (job: Job) => string): JobQueue<Job> {
  if (process.env.IRSA_BROKER_JOBS === 'inline') return new InlineJobQueue<Job>(functionVariable);
  return new LambdaAsyncQueue<Job>(requiredEnv(functionVariable), describe);
}

let client: DynamoDBClient | undefined;
let deps: AccessRequestDeps | undefined;

/** One DynamoDB client per cold start; the SDK's standard retry mode already backs off on throttling. */
export function dynamoClient(): DynamoDBClient {
  client ??= new DynamoDBClient({});
  return client;
}

/**
 * The request store; when Slack is configured, every change is also told there, by the Slack worker,
 * so that no other function carries the Slack client.
 */
function requestStore(): AccessRequestStore {
  const store = new DynamoAccessRequestStore(dynamoClient(), tableName());
  if (!slackConfigured()) return store;
  return new NotifyingStore(
    store,
    new QueuedNotifier(jobQueue<SlackJob>('IRSA_BROKER_SLACK_WORKER_FUNCTION', (job) => `Slack ${job.kind}`)),
  );
}

/** The access-request use cases' dependencies, built once per cold start. */
export function accessRequestDeps(): AccessRequestDeps {
  if (deps) return deps;
  const config = loadBrokerConfig();
  deps = {
    config,
    store: requestStore(),
    clock: { now: () => new Date() },
    ids: { newId: () => randomUUID() },
    // The EKS client is loaded only if a configured cluster has no issuer.
    issuers: createClusterIssuerSource(async () => (await import('./eksDirectory')).clusterDirectory()),
    serviceAccountTemplate: kubeTemplates.serviceAccount,
    queue: jobQueue<string>('IRSA_BROKER_PROVISION_FUNCTION', (id) => `provisioning of ${id}`),
  };
  return deps;
}
