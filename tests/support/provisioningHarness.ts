import {
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  paginateListPolicies,
  paginateListRoles,
  ListRoleTagsCommand,
} from '@aws-sdk/client-iam';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { Pluggable } from '@smithy/types';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StsAccountSessions } from '../../src/adapters/aws/accountSessions';
import { DynamoAccessRequestStore } from '../../src/adapters/aws/dynamoAccessRequestStore';
import { DynamoReconcileCursorStore } from '../../src/adapters/aws/dynamoReconcileCursorStore';
import { DynamoWorkloadStore } from '../../src/adapters/aws/dynamoWorkloadStore';
import { EksClusterDirectory } from '../../src/adapters/aws/eksClusterDirectory';
import { SdkIamGateway } from '../../src/adapters/aws/iamGateway';
import { S3BucketInspector } from '../../src/adapters/aws/s3BucketInspector';
import { parseBrokerConfig } from '../../src/config';
import type { BrokerConfigInput } from '../../src/domain/brokerConfig';
import { kubeTemplates } from '../../src/kubeTemplates';
import type { ReconcileJob } from '../../src/domain/jobs';
import type { ProvisioningDeps } from '../../src/usecases/provisioningDeps';
import type { ReconcileDeps } from '../../src/usecases/reconcileDeps';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../scripts/localDynamo.mjs';

export const MOTO_ACCOUNT = '123456789012';
/** The keys every harness client uses; moto puts their calls in MOTO_ACCOUNT unless told otherwise. */
export const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let requestCounter = 0;

/** Every IAM command a client sent, in order, and an optional fault on the k-th one. */
export interface IamCallLog {
  calls: string[];
  writes: () => string[];
  /** Fail call number `at` (1-based): before it reaches IAM, or after IAM has done it (a lost reply). */
  failAt?: { at: number; when: 'before' | 'after' };
  /** Runs after every call IAM answered, before the caller sees the answer: a check that must hold between calls. */
  observe?: (command: string) => Promise<void>;
}

const isWrite = (command: string) => !/^(Get|List)/.test(command);

/** Logs (and can fail) every command a client sends. */
export function withCallLog<Client extends IAMClient | EKSClient>(client: Client, log: IamCallLog): Client {
  (client.middlewareStack as IAMClient['middlewareStack']).add(
    (next, context) => async (args) => {
      const name = String(context.commandName).replace(/Command$/, '');
      log.calls.push(name);
      const fault = log.failAt?.at === log.calls.length ? log.failAt : undefined;
      if (fault?.when === 'before') throw Object.assign(new Error(`injected fault before ${name}`), { name: 'InjectedFault' });
      const result = await next(args);
      await log.observe?.(name);
      if (fault?.when === 'after') throw Object.assign(new Error(`injected fault after ${name}`), { name: 'InjectedFault' });
      return result;
    },
    { step: 'initialize', name: 'callLog' },
  );
  return client;
}

/** An IAM client against moto whose calls are logged and can be made to fail. */
export function iamClient(endpoint: string, log: IamCallLog): IAMClient {
  return withCallLog(new IAMClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 }), log);
}

export function newCallLog(): IamCallLog {
  const log: IamCallLog = { calls: [], writes: () => log.calls.filter(isWrite) };
  return log;
}

/** Buckets the provisioning tests and the bench grant on, in the cluster's account and region. */
export const HARNESS_BUCKETS = [
  'acme-invoices',
  'acme-reports',
  'acme-public-docs',
  'acme-private-docs',
  'acme-third',
  'acme-bench',
  'acme-bench-reports',
];

/** An S3 client against moto; path-style, since bucket names are not host names on 127.0.0.1. */
export function s3Client(endpoint: string, region = 'eu-west-1', account?: string): S3Client {
  const client = new S3Client({ endpoint, region, forcePathStyle: true, credentials, maxAttempts: 1 });
  // moto's way of acting as another account (see HARNESS.md, "Several accounts").
  if (account) {
    client.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = account;
        return next(args);
      },
      { step: 'build', name: 'motoAccount' },
    );
  }
  return client;
}

/** Creates the EKS cluster, the OIDC provider for its issuer, the boundary policy and the buckets in moto. */
export async function prepareAccount(endpoint: string): Promise<{ issuerUrl: string }> {
  const eks = new EKSClient({ endpoint, region: 'eu-west-1', credentials });
  const created = await eks.send(
    new CreateClusterCommand({
      name: 'harness',
      roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/eks`,
      resourcesVpcConfig: { subnetIds: ['subnet-1'] },
    }),
  );
  const issuerUrl = created.cluster?.identity?.oidc?.issuer ?? '';
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials });
  await iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: issuerUrl,
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
    }),
  );
  await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'irsa-broker-boundary',
      PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
    }),
  );
  // An allow-listed managed policy the grants may ask for.
  await iam.send(
    new CreatePolicyCommand({
      PolicyName: 'shared-sqs-reader',
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'sqs:ReceiveMessage', Resource: '*' }],
      }),
    }),
  );
  await createHarnessBuckets(endpoint);
  return { issuerUrl };
}

/** The buckets of HARNESS_BUCKETS, in the cluster's region. */
export async function createHarnessBuckets(endpoint: string): Promise<void> {
  const s3 = s3Client(endpoint);
  await Promise.all(
    HARNESS_BUCKETS.map((bucket) =>
      s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } })),
    ),
  );
}

/**
 * The real account sessions against moto: the hub acts with the harness keys, spokes through the
 * provisioner roles it assumes there (moto puts an assumed key's calls in the role's account).
 * Every IAM and EKS command of every session goes to the given logs.
 */
export function motoAccountSessions(
  endpoint: string,
  config: ProvisioningDeps['config'],
  log: IamCallLog,
  {
    eksLog = newCallLog(),
    stsLog = newCallLog(),
    stsPlugins = [],
    hubCredentials = credentials,
  }: {
    eksLog?: IamCallLog;
    stsLog?: IamCallLog;
    stsPlugins?: Pluggable<object, object>[];
    /** The hub's own keys: the EKS token of a hub cluster is signed with them, so a TokenReview webhook must know them. */
    hubCredentials?: { accessKeyId: string; secretAccessKey: string };
  } = {},
): StsAccountSessions {
  return new StsAccountSessions({
    config,
    hubCredentials: async () => hubCredentials,
    clientConfig: { endpoint, maxAttempts: 1 },
    makeIamClient: (clientConfig) => withCallLog(new IAMClient(clientConfig), log),
    makeEksClient: (clientConfig) => withCallLog(new EKSClient(clientConfig), eksLog),
    stsPlugins: [
      {
        applyToStack: (stack) =>
          stack.add(
            (next, context) => async (args) => {
              stsLog.calls.push(String((context as { commandName?: string }).commandName).replace(/Command$/, ''));
              return next(args);
            },
            { step: 'initialize', name: 'stsCallLog', priority: 'high' },
          ),
      },
      ...stsPlugins,
    ],
  });
}

/** Provisioning dependencies wired to real adapters: moto for IAM and EKS, dynalite for requests. */
export function provisioningDeps(
  motoEndpoint: string,
  dynamoEndpoint: string,
  log: IamCallLog,
  overrides: Partial<BrokerConfigInput> = {},
  eksLog: IamCallLog = newCallLog(),
  hubCredentials: { accessKeyId: string; secretAccessKey: string } = credentials,
): ProvisioningDeps & { queued: string[] } {
  // Bundled into bench/, __dirname moves; the bench names the project root instead.
  const projectRoot = process.env.BENCH_ROOT ?? join(__dirname, '../..');
  const text = readFileSync(join(projectRoot, 'tests/fixtures/broker.provisioning.yaml'), 'utf8');
  const config = { ...parseBrokerConfig(text, 'broker.provisioning.yaml'), ...overrides } as ProvisioningDeps['config'];
  const clusters = new EksClusterDirectory((region) => withCallLog(new EKSClient({ endpoint: motoEndpoint, region, credentials }), eksLog));
  const queued: string[] = [];
  const dynamoClient = new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return {
    config,
    store: new DynamoAccessRequestStore(dynamoClient, 'irsa-broker-test'),
    workloads: new DynamoWorkloadStore(dynamoClient, 'irsa-broker-test'),
    clock: { now: () => new Date() },
    ids: { newId: () => `00000000-0000-4000-8000-${String(++requestCounter).padStart(12, '0')}` },
    issuers: clusters,
    clusters,
    buckets: new S3BucketInspector((region) => s3Client(motoEndpoint, region)),
    serviceAccountTemplate: kubeTemplates.serviceAccount,
    queue: { enqueue: async (job) => void queued.push(job.requestId) },
    iam: new SdkIamGateway(iamClient(motoEndpoint, log)),
    accounts: motoAccountSessions(motoEndpoint, config, log, { eksLog, hubCredentials }),
    knownOidcProviders: new Map(),
    serviceAccounts: async () => {
      throw new Error('no cluster in this test: delivery is manifest');
    },
    verifier: async () => {
      throw new Error('no cluster in this test: nothing to verify against');
    },
    queued,
  };
}

/** Reconcile dependencies over provisioning's: cursors in dynalite's table, reconcile jobs kept in `sent`. */
export function withReconcile<Deps extends ProvisioningDeps>(
  deps: Deps,
  dynamoEndpoint: string,
): Deps & ReconcileDeps & { sent: ReconcileJob[] } {
  const sent: ReconcileJob[] = [];
  const dynamoClient = new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  return {
    ...deps,
    cursors: new DynamoReconcileCursorStore(dynamoClient, 'irsa-broker-test'),
    reconcileQueue: { enqueue: async (job) => void sent.push(job) },
    sent,
  };
}

/** What the broker's path holds in IAM right now, read straight from moto. */
export async function brokerObjects(endpoint: string) {
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials });
  const roles = [];
  for await (const page of paginateListRoles({ client: iam }, { PathPrefix: '/irsa-broker/' })) roles.push(...(page.Roles ?? []));
  const policies = [];
  for await (const page of paginateListPolicies({ client: iam }, { Scope: 'Local', PathPrefix: '/irsa-broker/' }))
    policies.push(...(page.Policies ?? []));
  const attachments = Object.fromEntries(
    await Promise.all(
      roles.map(async (role) => [
        role.RoleName!,
        ((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role.RoleName }))).AttachedPolicies ?? []).map(
          (p) => p.PolicyArn!,
        ),
      ]),
    ),
  ) as Record<string, string[]>;
  const roleTags = Object.fromEntries(
    await Promise.all(
      roles.map(async (role) => [role.RoleName!, (await iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName }))).Tags ?? []]),
    ),
  );
  return { roles, policies, attachments, roleTags };
}
