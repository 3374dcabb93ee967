import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createClusterIssuerSource } from '../../adapters/clusterIssuers';
import { DynamoAccessRequestStore } from '../../adapters/aws/dynamoAccessRequestStore';
import { EksClusterDirectory } from '../../adapters/aws/eksClusterDirectory';
import { LambdaProvisioningQueue } from '../../adapters/aws/lambdaProvisioningQueue';
import { loadBrokerConfig } from '../../config';
import { kubeTemplates } from '../../kubeTemplates';
import type { AccessRequestDeps } from '../../usecases/accessRequestDeps';

/** A required environment variable (set in serverless.yml; locally by the start script). */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export const tableName = () => requiredEnv('IRSA_BROKER_TABLE');

let client: DynamoDBClient | undefined;
let deps: AccessRequestDeps | undefined;
let clusters: EksClusterDirectory | undefined;

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

/** The access-request use cases' dependencies, built once per cold start. */
export function accessRequestDeps(): AccessRequestDeps {
  deps ??= {
    config: loadBrokerConfig(),
    store: new DynamoAccessRequestStore(dynamoClient(), tableName()),
    clock: { now: () => new Date() },
    ids: { newId: () => randomUUID() },
    // The EKS client is loaded only if a configured cluster has no issuer.
    issuers: createClusterIssuerSource(async () => clusterDirectory()),
    serviceAccountTemplate: kubeTemplates.serviceAccount,
    queue: new LambdaProvisioningQueue(process.env.IRSA_BROKER_PROVISION_FUNCTION ?? 'irsa-broker-provisionGrant'),
  };
  return deps;
}
