import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createClusterIssuerSource } from '../../adapters/clusterIssuers';
import { DynamoAccessRequestStore } from '../../adapters/aws/dynamoAccessRequestStore';
import { EksClusterDirectory } from '../../adapters/aws/eksClusterDirectory';
import { LambdaAsyncQueue } from '../../adapters/aws/lambdaAsyncQueue';
import { InlineJobQueue } from '../../adapters/inlineJobQueue';
import { NotifyingStore } from '../../adapters/notifyingStore';
import { SlackNotifier } from '../../adapters/slack/slackNotifier';
import { SlackWebApiGateway } from '../../adapters/slack/slackWebApiGateway';
import { loadBrokerConfig } from '../../config';
import { kubeTemplates } from '../../kubeTemplates';
import type { AccessRequestStore, JobQueue } from '../../ports';
import type { AccessRequestDeps } from '../../usecases/accessRequestDeps';
import { slackConfigured, slackSecret } from './slackSecrets';

/** A required environment variable (set in serverless.yml; locally by the start script). */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export const tableName = () => requiredEnv('IRSA_BROKER_TABLE');

/**
 * "inline" (local API, tests): queued work runs in this process right after the answer. Otherwise
 * an asynchronous Lambda invoke of the function named in the environment.
 */
export function jobQueue<Job>(
  functionVariable: string,
  work: () => Promise<(job: Job) => Promise<unknown>>,
  describe: (job: Job) => string,
): JobQueue<Job> {
  if (process.env.IRSA_BROKER_JOBS === 'inline') return new InlineJobQueue<Job>(async (job) => (await work())(job));
  return new LambdaAsyncQueue<Job>(requiredEnv(functionVariable), describe);
}

let client: DynamoDBClient | undefined;
let deps: AccessRequestDeps | undefined;
let clusters: EksClusterDirectory | undefined;
let slack: SlackWebApiGateway | undefined;

/** One DynamoDB client per cold start; the SDK's standard retry mode already backs off on throttling. */
export function dynamoClient(): DynamoDBClient {
  client ??= new DynamoDBClient({});
  return client;
}

/** One EKS directory per cold start, so each cluster is described once. */
export function clusterDirectory(): EksClusterDirectory {
  clusters ??= new EksClusterDirectory();
  return clusters;
}

/** The Slack Web API (SLACK_API_URL points it at a stand-in in tests). */
export function slackGateway(): SlackWebApiGateway {
  slack ??= new SlackWebApiGateway(() => slackSecret('SLACK_BOT_TOKEN'), process.env.SLACK_API_URL || undefined);
  return slack;
}

/** The request store; when Slack is configured, every change is also told there. */
function requestStore(config: AccessRequestDeps['config']): AccessRequestStore {
  const store = new DynamoAccessRequestStore(dynamoClient(), tableName());
  return slackConfigured() ? new NotifyingStore(store, new SlackNotifier(slackGateway(), config)) : store;
}

/** The access-request use cases' dependencies, built once per cold start. */
export function accessRequestDeps(): AccessRequestDeps {
  if (deps) return deps;
  const config = loadBrokerConfig();
  deps = {
    config,
    store: requestStore(config),
    clock: { now: () => new Date() },
    ids: { newId: () => randomUUID() },
    // The EKS client is loaded only if a configured cluster has no issuer.
    issuers: createClusterIssuerSource(async () => clusterDirectory()),
    serviceAccountTemplate: kubeTemplates.serviceAccount,
    queue: jobQueue<string>(
      'IRSA_BROKER_PROVISION_FUNCTION',
      async () => {
        const [{ provisionGrant }, { provisioningDeps }] = await Promise.all([
          import('../../usecases/provisionGrant'),
          import('./provisioningDeps'),
        ]);
        return (id: string) => provisionGrant(id, provisioningDeps());
      },
      (id) => `provisioning of ${id}`,
    ),
  };
  return deps;
}
