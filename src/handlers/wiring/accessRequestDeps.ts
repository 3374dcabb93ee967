import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createClusterIssuerSource } from '../../adapters/clusterIssuers';
import { DynamoAccessRequestStore } from '../../adapters/aws/dynamoAccessRequestStore';
import { loadBrokerConfig } from '../../config';
import { kubeTemplates } from '../../kubeTemplates';
import type { AccessRequestDeps } from '../../usecases/accessRequestDeps';

/** The table name comes from serverless.yml; locally, from the start script. */
export function tableName(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.IRSA_BROKER_TABLE;
  if (!name) throw new Error('IRSA_BROKER_TABLE is not set');
  return name;
}

let client: DynamoDBClient | undefined;
let deps: AccessRequestDeps | undefined;

/** One DynamoDB client per cold start; the SDK's standard retry mode already backs off on throttling. */
export function dynamoClient(): DynamoDBClient {
  client ??= new DynamoDBClient({});
  return client;
}

/** The access-request use cases' dependencies, built once per cold start. */
export function accessRequestDeps(): AccessRequestDeps {
  deps ??= {
    config: loadBrokerConfig(),
    store: new DynamoAccessRequestStore(dynamoClient(), tableName()),
    clock: { now: () => new Date() },
    ids: { newId: () => randomUUID() },
    issuers: createClusterIssuerSource(async () => new (await import('../../adapters/aws/eksClusterIssuers')).EksClusterIssuers()),
    serviceAccountTemplate: kubeTemplates.serviceAccount,
  };
  return deps;
}
