/** @needs kube-apiserver (npm test runs this file after the harness build) */
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import {
  CreateRoleCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  ListRolesCommand,
  ListPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { loadAll } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalDynamo } from '../../scripts/localDynamo.mjs';
import { EksTokenSource } from '../../src/adapters/aws/eksTokenSource';
import { describedIssuers } from '../../src/adapters/clusterIssuers';
import { KubernetesServiceAccountApplier } from '../../src/adapters/k8s/kubernetesServiceAccountApplier';
import { BrokerConfigSchema, type BrokerConfig, type BrokerConfigInput, type ClusterConfig } from '../../src/domain/brokerConfig';
import { BrokerError } from '../../src/domain/errors';
import type { CallerIdentity } from '../../src/domain/identity';
import type { AccountSession, ClusterConnection } from '../../src/ports';
import { inClusterAccount } from '../../src/usecases/accountScope';
import { approveAccessRequest } from '../../src/usecases/decideAccessRequest';
import { provisionGrant } from '../../src/usecases/provisionGrant';
import { revokeAccessRequest } from '../../src/usecases/revokeAccessRequest';
import { submitAccessRequest } from '../../src/usecases/submitAccessRequest';
import { ensureKubeBinaries } from '../harness/kube/build.mjs';
import { kubeRequest, startKubeCluster } from '../harness/kube/cluster.mjs';
import { startEksTokenWebhook, type EksTokenWebhook, type HarnessAccessKey } from '../harness/kube/eksTokenWebhook';
import { ensureNamespace } from '../harness/kube/rbac.mjs';
import { ensureMotoVenv, HARNESS_EKS_ENV, startMoto } from '../harness/moto/setup.mjs';
import { iamInAccount, stsTrustPlugin } from '../harness/moto/stsTrust';
import { credentials, motoAccountSessions, newCallLog, provisioningDeps } from '../support/provisioningHarness';

const root = join(__dirname, '../..');
const HUB = '123456789012';
const SPOKE_A = '222222222222';
const SPOKE_B = '333333333333';
const ACCOUNTS = [HUB, SPOKE_A, SPOKE_B];
const REGION = 'eu-west-1';
const HUB_ROLE_ARN = `arn:aws:iam::${HUB}:role/irsa-broker-dev-eu-west-1-lambdaRole`;
const PROVISIONER = 'irsa-broker-provisioner';
const provisionerArn = (account: string, name = PROVISIONER) => `arn:aws:iam::${account}:role/irsa-broker/${name}`;
const boundaryArn = (account: string) => `arn:aws:iam::${account}:policy/irsa-broker-boundary`;
const SPOKE_B_EXTERNAL_ID = 'spoke-b-external-id';
const MANAGED_BY = { Key: 'irsa-broker:managed-by', Value: 'irsa-broker' };
// Fresh namespaces per run: without a controller-manager, deleted ones would never go away.
const run = Date.now().toString(36);
const servedNamespace = `payments-${run}`;

const cluster = (name: string, accountId: string): ClusterConfig => ({
  name,
  region: REGION,
  accountId,
  partition: 'aws',
  permissionsBoundaryArn: boundaryArn(accountId),
});
const HUB_CLUSTER = cluster('hub-cluster', HUB);
const SPOKE_A_CLUSTER = cluster('spoke-a', SPOKE_A);
const SPOKE_B_CLUSTER = cluster('spoke-b', SPOKE_B);

let moto: Awaited<ReturnType<typeof startMoto>>;
let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
let kube: Awaited<ReturnType<typeof startKubeCluster>>;
let webhook: EksTokenWebhook;
const webhookKeys: Record<string, HarnessAccessKey> = {};

function brokerConfig(overrides: Partial<BrokerConfigInput> = {}): BrokerConfig {
  return BrokerConfigSchema.parse({
    hubAccountId: HUB,
    permissionsBoundaryArn: boundaryArn(HUB),
    clusters: [HUB_CLUSTER, SPOKE_A_CLUSTER, SPOKE_B_CLUSTER],
    accounts: { [SPOKE_B]: { externalId: SPOKE_B_EXTERNAL_ID } },
    ...overrides,
  });
}

/** The adapter under test, against moto, with STS's trust check standing in where moto has none. */
function sessions(config = brokerConfig()) {
  const iamLog = newCallLog();
  const stsLog = newCallLog();
  const trust: { roleArn: string; sessionName: string; allowed: boolean }[] = [];
  const accounts = motoAccountSessions(moto.endpoint, config, iamLog, {
    stsLog,
    stsPlugins: [stsTrustPlugin({ endpoint: moto.endpoint, callerArn: HUB_ROLE_ARN, credentials, seen: trust })],
  });
  return { accounts, iamLog, stsLog, trust };
}

const iamOf = (account: string): IAMClient => iamInAccount(moto.endpoint, credentials, account);

/** A provisioner role as deploy/spoke-account.yaml makes it: trusting the hub role, with the session prefix. */
async function createProvisionerRole(account: string, options: { name?: string; trustedArn?: string; externalId?: string } = {}) {
  const condition: Record<string, Record<string, string>> = { StringLike: { 'sts:RoleSessionName': 'irsa-broker-*' } };
  if (options.externalId) condition.StringEquals = { 'sts:ExternalId': options.externalId };
  await iamOf(account).send(
    new CreateRoleCommand({
      RoleName: options.name ?? PROVISIONER,
      Path: '/irsa-broker/',
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { AWS: options.trustedArn ?? HUB_ROLE_ARN }, Action: 'sts:AssumeRole', Condition: condition },
        ],
      }),
    }),
  );
}

/** What the broker's path holds in one account, the provisioner roles aside (they are the spoke stack's). */
async function brokerObjectsIn(account: string) {
  const iam = iamOf(account);
  const roles = ((await iam.send(new ListRolesCommand({ PathPrefix: '/irsa-broker/' }))).Roles ?? [])
    .map((role) => role.RoleName!)
    .filter((name) => !name.startsWith(PROVISIONER) && name !== 'untrusting');
  const policies = ((await iam.send(new ListPoliciesCommand({ Scope: 'Local', PathPrefix: '/irsa-broker/' }))).Policies ?? []).map(
    (policy) => policy.Arn!,
  );
  const attachments = await Promise.all(
    roles.map(async (role) => ((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: role }))).AttachedPolicies ?? []).length),
  );
  return { roles, policies, attachments: attachments.reduce((sum, count) => sum + count, 0) };
}

/** The error a promise rejects with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

const everyAccount = async () =>
  Object.fromEntries(await Promise.all(ACCOUNTS.map(async (account) => [account, await brokerObjectsIn(account)])));
const EMPTY = { roles: [], policies: [], attachments: 0 };

/**
 * What every account holds after one grant on its own cluster: that cluster's role and policy, and
 * nothing of the others'. The use cases name a grant's policy after the role and the grant id.
 */
function oneGrantPerAccount({ grantIdInPolicyName = false } = {}) {
  const expected = (account: string, cluster: string) => {
    const role = `irsa-${cluster}.payments.exporter`;
    const policy = `arn:aws:iam::${account}:policy/irsa-broker/${role}`;
    const pattern = new RegExp(`^${policy.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\.[0-9a-f-]{36}$`);
    return { roles: [role], policies: [grantIdInPolicyName ? expect.stringMatching(pattern) : policy], attachments: 1 };
  };
  return { [HUB]: expected(HUB, 'hub-cluster'), [SPOKE_A]: expected(SPOKE_A, 'spoke-a'), [SPOKE_B]: expected(SPOKE_B, 'spoke-b') };
}

/** One grant's objects, made and removed through a session's gateway as provisioning and revoke do. */
async function createGrantObjects(session: AccountSession, name: string) {
  const policyArn = `arn:aws:iam::${session.accountId}:policy/irsa-broker/${name}`;
  await session.iam.createPolicy({
    name,
    path: '/irsa-broker/',
    document: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme/*' }] },
    tags: [MANAGED_BY],
    description: 'test grant',
  });
  await session.iam.createRole({
    name,
    path: '/irsa-broker/',
    trustPolicy: { Version: '2012-10-17', Statement: [] },
    permissionsBoundaryArn: boundaryArn(session.accountId),
    maxSessionDurationSeconds: 3600,
    tags: [MANAGED_BY],
    description: 'test grant',
  });
  await session.iam.attachPolicy(name, policyArn);
  return policyArn;
}

async function removeGrantObjects(session: AccountSession, name: string, policyArn: string) {
  for (const arn of await session.iam.listAttachedPolicyArns(name)) await session.iam.detachPolicy(name, arn);
  await session.iam.deleteRole(name);
  await session.iam.deletePolicy(policyArn);
}

/** Applies deploy/kubernetes/irsa-broker-rbac.yaml as an operator would, for one namespace. */
async function applyShippedRbac(namespace: string) {
  const documents = loadAll(readFileSync(join(root, 'deploy/kubernetes/irsa-broker-rbac.yaml'), 'utf8')) as any[];
  for (const document of documents) {
    const path =
      document.kind === 'ClusterRole'
        ? `/apis/rbac.authorization.k8s.io/v1/clusterroles/${document.metadata.name}`
        : `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings/${document.metadata.name}`;
    if (document.kind === 'RoleBinding') document.metadata.namespace = namespace;
    const response = await kubeRequest(kube, 'PATCH', `${path}?fieldManager=irsa-broker-test&force=true`, {
      token: kube.adminToken,
      body: document,
      contentType: 'application/apply-patch+yaml',
    });
    if (response.status >= 300) throw new Error(`apply ${document.kind} failed: ${response.status} ${response.text}`);
  }
}

beforeAll(async () => {
  await Promise.all([ensureMotoVenv(root), ensureKubeBinaries(root)]);
  // The spoke cluster's access entry: the provisioner role is the Kubernetes group irsa-broker; the hub is nobody there.
  webhook = await startEksTokenWebhook({
    clusterName: SPOKE_A_CLUSTER.name,
    keys: webhookKeys,
    mappings: { [`arn:aws:iam::${SPOKE_A}:role/${PROVISIONER}`]: { username: 'irsa-broker', groups: ['irsa-broker'] } },
  });
  kube = await startKubeCluster(root, { webhookUrl: webhook.url, clusterName: SPOKE_A_CLUSTER.name });
  [moto, dynamo] = await Promise.all([
    startMoto(root, { env: { ...HARNESS_EKS_ENV, MOTO_EKS_ENDPOINT: kube.endpoint, MOTO_EKS_CA_DATA: kube.caData } }),
    startLocalDynamo({ root, tableName: 'irsa-broker-test' }),
  ]);
  for (const [account, name] of [
    [HUB, HUB_CLUSTER.name],
    [SPOKE_A, SPOKE_A_CLUSTER.name],
    [SPOKE_B, SPOKE_B_CLUSTER.name],
  ] as const) {
    const eks = new EKSClient({ endpoint: moto.endpoint, region: REGION, credentials, maxAttempts: 1 });
    eks.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = account;
        return next(args);
      },
      { step: 'build' },
    );
    await eks.send(
      new CreateClusterCommand({ name, roleArn: `arn:aws:iam::${account}:role/eks`, resourcesVpcConfig: { subnetIds: ['subnet-1'] } }),
    );
    const boundary = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] });
    await iamOf(account).send(new CreatePolicyCommand({ PolicyName: 'irsa-broker-boundary', PolicyDocument: boundary }));
    // The cluster's IAM OIDC provider lives in the cluster's account, for the issuer the launcher gives it.
    await iamOf(account).send(
      new CreateOpenIDConnectProviderCommand({
        Url: `https://oidc.harness.local/id/${name}`,
        ClientIDList: ['sts.amazonaws.com'],
        ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
      }),
    );
  }
  await createProvisionerRole(SPOKE_A);
  await createProvisionerRole(SPOKE_B, { externalId: SPOKE_B_EXTERNAL_ID });
  // A provisioner role whose trust names some other account, not the hub.
  await createProvisionerRole(SPOKE_A, { name: 'untrusting', trustedArn: 'arn:aws:iam::999999999999:root' });
  await ensureNamespace(kube, servedNamespace);
  await applyShippedRbac(servedNamespace);
}, 45 * 60_000);

afterAll(async () => Promise.all([moto?.stop(), dynamo?.stop(), kube?.stop(), webhook?.stop()]));

afterEach(async () => {
  // Whatever a test did, it leaves nothing of the broker's in any of the three accounts.
  expect(await everyAccount()).toEqual({ [HUB]: EMPTY, [SPOKE_A]: EMPTY, [SPOKE_B]: EMPTY });
});

describe('StsAccountSessions against moto with a hub and two spokes', () => {
  it("creates each cluster's objects in exactly its own account, and removes them there", async () => {
    // Arrange
    const { accounts, trust } = sessions();
    const made: Record<string, unknown> = {};

    // Act
    const all = await Promise.all(
      [HUB_CLUSTER, SPOKE_A_CLUSTER, SPOKE_B_CLUSTER].map(async (target) => {
        const session = await accounts.forCluster(target, `grant-${target.name}`);
        return {
          session,
          name: `irsa-${target.name}.payments.exporter`,
          policyArn: await createGrantObjects(session, `irsa-${target.name}.payments.exporter`),
        };
      }),
    );
    for (const account of ACCOUNTS) made[account] = await brokerObjectsIn(account);
    for (const { session, name, policyArn } of all) await removeGrantObjects(session, name, policyArn);

    // Assert
    expect(made).toEqual(oneGrantPerAccount());
    expect(all.map(({ session }) => [session.accountId, session.roleArn])).toEqual([
      [HUB, undefined],
      [SPOKE_A, provisionerArn(SPOKE_A)],
      [SPOKE_B, provisionerArn(SPOKE_B)],
    ]);
    // The hub used its own credentials: only the spokes' roles were assumed.
    expect(trust.map((call) => call.roleArn).sort()).toEqual([provisionerArn(SPOKE_A), provisionerArn(SPOKE_B)]);
  });

  it('names each spoke session after the request, so the spoke’s CloudTrail shows the grant', async () => {
    // Arrange
    const { accounts } = sessions();

    // Act
    const session = await accounts.forCluster(SPOKE_A_CLUSTER, '0b7e3c1a-5d2f-4c3b-9a8e-1f2d3c4b5a69');
    const identity = await new STSClient({ endpoint: moto.endpoint, region: REGION, credentials: session.credentials }).send(
      new GetCallerIdentityCommand({}),
    );

    // Assert
    expect(identity).toMatchObject({
      Account: SPOKE_A,
      Arn: `arn:aws:sts::${SPOKE_A}:assumed-role/${PROVISIONER}/irsa-broker-0b7e3c1a-5d2f-4c3b-9a8e-1f2d3c4b5a69`,
    });
  });

  it('assumes a role once per account and request, and again for another request', async () => {
    // Arrange
    const { accounts, stsLog } = sessions();

    // Act
    const first = await accounts.forCluster(SPOKE_A_CLUSTER, 'request-1');
    const again = await accounts.forCluster(SPOKE_A_CLUSTER, 'request-1');
    await Promise.all([first.iam.findRole('absent'), again.iam.findRole('absent'), first.credentials(), again.credentials()]);
    const other = await accounts.forCluster(SPOKE_A_CLUSTER, 'request-2');

    // Assert
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(stsLog.calls).toEqual(['AssumeRole', 'AssumeRole']);
  });

  it('describes each cluster in its own account, and says where it looked for one EKS does not know', async () => {
    // Arrange
    const { accounts } = sessions(brokerConfig({ clusters: [HUB_CLUSTER, SPOKE_A_CLUSTER, SPOKE_B_CLUSTER, cluster('ghost', SPOKE_B)] }));

    // Act
    const spokeA = await (await accounts.forCluster(SPOKE_A_CLUSTER, 'describe')).clusters.describeCluster(SPOKE_A_CLUSTER);
    const ghostSession = await accounts.forCluster(cluster('ghost', SPOKE_B), 'describe');
    const error = await rejectionOf(ghostSession.clusters.describeCluster(cluster('ghost', SPOKE_B)));

    // Assert
    expect(spokeA).toMatchObject({ endpoint: kube.endpoint, issuerUrl: 'https://oidc.harness.local/id/spoke-a' });
    expect(error).toMatchObject({
      code: 'CLUSTER_NOT_FOUND_IN_EKS',
      message: expect.stringContaining(`in account ${SPOKE_B}, region ${REGION}`),
      details: { cluster: 'ghost', accountId: SPOKE_B, region: REGION },
    });
  });

  it.each([
    [
      'whose provisioner role does not trust the hub',
      { [SPOKE_A]: { provisionerRoleArn: provisionerArn(SPOKE_A, 'untrusting') } },
      SPOKE_A_CLUSTER,
      provisionerArn(SPOKE_A, 'untrusting'),
    ],
    ['that expects another external id', { [SPOKE_B]: { externalId: 'not-the-right-one' } }, SPOKE_B_CLUSTER, provisionerArn(SPOKE_B)],
    [
      'whose provisioner role does not exist',
      { [SPOKE_A]: { provisionerRoleArn: provisionerArn(SPOKE_A, 'never-deployed') } },
      SPOKE_A_CLUSTER,
      provisionerArn(SPOKE_A, 'never-deployed'),
    ],
  ])('fails a spoke %s before any IAM call, naming account and role', async (_, accountsConfig, target, roleArn) => {
    // Arrange
    const { accounts, iamLog } = sessions(brokerConfig({ accounts: accountsConfig }));

    // Act
    const error = await rejectionOf(accounts.forCluster(target, 'request-3'));

    // Assert
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({
      code: 'PROVISIONER_ROLE_UNASSUMABLE',
      message: expect.stringContaining(`${roleArn} of account ${target.accountId}`),
      details: { accountId: target.accountId, roleArn, awsError: 'AccessDenied' },
    });
    expect(iamLog.calls).toEqual([]);
  });

  it('tries an unassumable role again on the next request, rather than remembering the failure', async () => {
    // Arrange
    const { accounts, trust } = sessions(brokerConfig({ accounts: { [SPOKE_B]: { externalId: 'not-the-right-one' } } }));

    // Act
    await rejectionOf(accounts.forCluster(SPOKE_B_CLUSTER, 'request-4'));
    await rejectionOf(accounts.forCluster(SPOKE_B_CLUSTER, 'request-4'));

    // Assert
    expect(trust.map((call) => call.allowed)).toEqual([false, false]);
  });
});

describe("today's provisioning use cases, each grant run in its cluster's account scope", () => {
  const developer: CallerIdentity = { subject: 'dev-1', groups: ['developers'], source: 'jwt' };
  const approver: CallerIdentity = { subject: 'approver-1', groups: ['approvers'], source: 'jwt' };

  /** The harness deps for the three-account config; plans read issuers in each cluster's account. */
  function grantDeps() {
    const config = brokerConfig();
    const base = provisioningDeps(moto.endpoint, dynamo.endpoint, newCallLog(), {
      hubAccountId: config.hubAccountId,
      clusters: config.clusters,
      accounts: config.accounts,
      permissionsBoundaryArn: config.permissionsBoundaryArn,
      // One bucket name cannot be owned by three accounts; the pre-flight has its own tests (buckets.test.ts).
      bucketPreflight: false,
    });
    const { accounts } = sessions(config);
    return { ...base, accounts, issuers: describedIssuers(accounts) };
  }

  it('creates each grant in its cluster’s account only, and revoke leaves nothing of the broker’s in any', async () => {
    // Arrange
    const deps = grantDeps();
    const targets = [HUB_CLUSTER, SPOKE_A_CLUSTER, SPOKE_B_CLUSTER];

    // Act
    const records = [];
    for (const target of targets) {
      const { id } = await submitAccessRequest(
        {
          cluster: target.name,
          namespace: 'payments',
          serviceAccount: 'exporter',
          grants: [{ type: 's3', bucket: 'acme-invoices', level: 'read' }],
        },
        developer,
        deps,
      );
      await approveAccessRequest(id, approver, undefined, deps);
      records.push(await provisionGrant(id, (await inClusterAccount(deps, target.name, id)).deps));
    }
    const provisioned = await everyAccount();
    for (const [index, target] of targets.entries()) {
      await revokeAccessRequest(
        records[index]!.id,
        developer,
        undefined,
        (await inClusterAccount(deps, target.name, records[index]!.id)).deps,
      );
    }

    // Assert
    expect(records.map((record) => [record.status, record.plan.role.arn])).toEqual([
      ['active', `arn:aws:iam::${HUB}:role/irsa-broker/irsa-hub-cluster.payments.exporter`],
      ['active', `arn:aws:iam::${SPOKE_A}:role/irsa-broker/irsa-spoke-a.payments.exporter`],
      ['active', `arn:aws:iam::${SPOKE_B}:role/irsa-broker/irsa-spoke-b.payments.exporter`],
    ]);
    expect(provisioned).toEqual(oneGrantPerAccount({ grantIdInPolicyName: true }));
  });
});

describe('EKS tokens for a spoke cluster', () => {
  /** What the spoke session signs with, told to the webhook as STS would know it. */
  async function registerSessionKey(session: AccountSession) {
    const identity = await session.credentials();
    const caller = await new STSClient({ endpoint: moto.endpoint, region: REGION, credentials: session.credentials }).send(
      new GetCallerIdentityCommand({}),
    );
    webhookKeys[identity.accessKeyId] = {
      secretAccessKey: identity.secretAccessKey,
      sessionToken: identity.sessionToken,
      arn: caller.Arn!,
    };
    return caller.Arn!;
  }

  async function connection(session: AccountSession, withSessionCredentials: boolean): Promise<ClusterConnection> {
    const info = await session.clusters.describeCluster(SPOKE_A_CLUSTER);
    return {
      name: SPOKE_A_CLUSTER.name,
      region: REGION,
      partition: 'aws',
      endpoint: info.endpoint,
      certificateAuthorityData: info.certificateAuthorityData,
      ...(withSessionCredentials ? { accountId: session.accountId, credentials: session.credentials } : {}),
    };
  }

  const manifest = (name: string) => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: {
      name,
      namespace: servedNamespace,
      labels: { 'irsa-broker.io/managed-by': 'irsa-broker' },
      annotations: { 'irsa-broker.io/request-id': 'request-5' },
    },
  });

  it("are signed with the spoke session, verified by signature, and let the spoke's access entry apply the ServiceAccount", async () => {
    // Arrange
    const { accounts } = sessions();
    const session = await accounts.forCluster(SPOKE_A_CLUSTER, 'request-5');
    const sessionArn = await registerSessionKey(session);
    const hubKey = { accessKeyId: 'AKIAHARNESSHUB000001', secretAccessKey: 'hub-secret-for-tests-only' };
    const applier = new KubernetesServiceAccountApplier(new EksTokenSource(async () => hubKey));

    // Act
    const outcome = await applier.apply(await connection(session, true), manifest('exporter'), {
      adopt: false,
      createNamespace: false,
      ownerIds: ['request-5'],
    });
    const removed = await applier.remove(await connection(session, true), servedNamespace, 'exporter', {
      ownerIds: ['request-5'],
      ownership: 'created',
    });

    // Assert
    expect([outcome, removed]).toEqual([{ outcome: 'created' }, 'deleted']);
    expect(sessionArn).toBe(`arn:aws:sts::${SPOKE_A}:assumed-role/${PROVISIONER}/irsa-broker-request-5`);
    const reviews = webhook.reviews().filter((review) => review.arn === sessionArn);
    expect(reviews.length).toBeGreaterThan(0);
    expect(reviews.every((review) => review.authenticated && review.username === 'irsa-broker')).toBe(true);
  });

  it("are refused for the hub's own credentials, which the spoke cluster does not map", async () => {
    // Arrange
    const { accounts } = sessions();
    const session = await accounts.forCluster(SPOKE_A_CLUSTER, 'request-6');
    const hubKey = { accessKeyId: 'AKIAHARNESSHUB000002', secretAccessKey: 'hub-secret-for-tests-only' };
    webhookKeys[hubKey.accessKeyId] = { secretAccessKey: hubKey.secretAccessKey, arn: HUB_ROLE_ARN };
    const applier = new KubernetesServiceAccountApplier(new EksTokenSource(async () => hubKey));

    // Act
    const error = await rejectionOf(
      applier.apply(await connection(session, false), manifest('hub-made'), {
        adopt: false,
        createNamespace: false,
        ownerIds: ['request-5'],
      }),
    );

    // Assert
    expect(error).toMatchObject({ code: 'K8S_UNAUTHORIZED' });
    expect(webhook.reviews().at(-1)).toMatchObject({
      authenticated: false,
      arn: HUB_ROLE_ARN,
      error: `ARN is not mapped: ${HUB_ROLE_ARN}`,
    });
  });

  it('fail verification when signed with a spoke session’s key but another secret', async () => {
    // Arrange
    const { accounts } = sessions();
    const session = await accounts.forCluster(SPOKE_A_CLUSTER, 'request-7');
    const real = await session.credentials();
    await registerSessionKey(session);
    const forged: AccountSession = { ...session, credentials: async () => ({ ...real, secretAccessKey: `${real.secretAccessKey}x` }) };
    const applier = new KubernetesServiceAccountApplier(new EksTokenSource());

    // Act
    const error = await rejectionOf(
      applier.apply(await connection(forged, true), manifest('forged'), { adopt: false, createNamespace: false, ownerIds: ['request-5'] }),
    );

    // Assert
    expect(error).toMatchObject({ code: 'K8S_UNAUTHORIZED' });
    expect(webhook.reviews().at(-1)).toMatchObject({ authenticated: false, error: expect.stringContaining('signature does not match') });
  });
});
