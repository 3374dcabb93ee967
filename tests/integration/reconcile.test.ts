import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  GetRoleCommand,
  ListAttachedRolePoliciesCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalDynamo } from '../../scripts/localDynamo.mjs';
import { SdkIamGateway } from '../../src/adapters/aws/iamGateway';
import { BrokerConfigSchema, type BrokerConfigInput, type ClusterConfig } from '../../src/domain/brokerConfig';
import type { AccessRequestRecord } from '../../src/domain/requestLifecycle';
import { findDrift, reconcileGrants } from '../../src/usecases/reconcileGrants';
import { ensureMotoVenv, startMoto } from '../harness/moto/setup.mjs';
import { iamInAccount } from '../harness/moto/stsTrust';
import {
  credentials,
  motoAccountSessions,
  newCallLog,
  provisioningDeps,
  withReconcile,
  type IamCallLog,
} from '../support/provisioningHarness';
import { seedActiveGrants } from '../support/reconcileSeed';

// The reconciler against moto (IAM, STS, SQS) and dynalite, across a hub and a spoke account: one
// GetAccountAuthorizationDetails per account and pass, repairs that re-read and re-check what they
// change, orphan roles reported; and the dispatcher → SQS → consumer chain through moto's real SQS.

const root = join(__dirname, '../..');
const HUB = '123456789012';
const SPOKE = '222222222222';
const REGION = 'eu-west-1';
const boundaryArn = (account: string) => `arn:aws:iam::${account}:policy/irsa-broker-boundary`;
const cluster = (name: string, accountId: string): ClusterConfig => ({
  name,
  region: REGION,
  accountId,
  partition: 'aws',
  oidcIssuer: `https://oidc.harness.local/id/${name}`,
  permissionsBoundaryArn: boundaryArn(accountId),
});
const HUB_CLUSTER = cluster('hub-cluster', HUB);
const SPOKE_CLUSTER = cluster('spoke-cluster', SPOKE);
const configInput: BrokerConfigInput = {
  hubAccountId: HUB,
  permissionsBoundaryArn: boundaryArn(HUB),
  clusters: [HUB_CLUSTER, SPOKE_CLUSTER],
  provisioning: { enabled: true, repairDrift: true },
};
const config = BrokerConfigSchema.parse(configInput);
const MANAGED_BY = { Key: 'irsa-broker:managed-by', Value: 'irsa-broker' };

let moto: Awaited<ReturnType<typeof startMoto>>;
let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
const iamOf = (account: string): IAMClient => iamInAccount(moto.endpoint, credentials, account);

beforeAll(async () => {
  await ensureMotoVenv(root);
  [moto, dynamo] = await Promise.all([startMoto(root), startLocalDynamo({ root, tableName: 'irsa-broker-test' })]);
  await moto.reset();
  for (const account of [HUB, SPOKE]) {
    await iamOf(account).send(
      new CreatePolicyCommand({
        PolicyName: 'irsa-broker-boundary',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }),
      }),
    );
  }
}, 600_000);
afterAll(async () => Promise.all([moto?.stop(), dynamo?.stop()]));

/** The broker's adapters against moto and dynalite, every IAM call of every account in `log`. */
function reconcileDeps(log: IamCallLog) {
  const base = provisioningDeps(moto.endpoint, dynamo.endpoint, log);
  return withReconcile({ ...base, config, accounts: motoAccountSessions(moto.endpoint, config, log) }, dynamo.endpoint);
}

async function seed(clusterConfig: ClusterConfig, count: number, namespace: string): Promise<AccessRequestRecord[]> {
  const deps = reconcileDeps(newCallLog());
  return seedActiveGrants({
    config,
    cluster: clusterConfig,
    iam: iamOf(clusterConfig.accountId),
    store: deps.store,
    workloads: deps.workloads,
    count,
    namespace,
  });
}

describe('reconcile at scale, against moto', () => {
  it('reads what moto answers to GetAccountAuthorizationDetails: trust, boundary, tags and attachments of roles, default documents of policies', async () => {
    const [record] = await seed(HUB_CLUSTER, 1, 'details');
    const details = await new SdkIamGateway(iamOf(HUB)).getAuthorizationDetails();

    const role = details.roles.find((entry) => entry.name === record!.plan.role.name);
    expect(role).toEqual({
      name: record!.plan.role.name,
      path: '/irsa-broker/',
      arn: record!.plan.role.arn,
      trustPolicy: record!.plan.role.trustPolicy,
      tags: record!.plan.role.tags,
      permissionsBoundaryArn: boundaryArn(HUB),
      attachedPolicyArns: [record!.plan.permissionPolicy!.arn],
    });
    const policy = details.policies.find((entry) => entry.arn === record!.plan.permissionPolicy!.arn);
    expect(policy).toEqual({
      arn: record!.plan.permissionPolicy!.arn,
      path: '/irsa-broker/',
      defaultVersionId: 'v1',
      defaultDocument: record!.plan.permissionPolicy!.document,
    });
    expect(details.policies.map((entry) => entry.arn)).toContain(boundaryArn(HUB));
  });

  it('reconciles two accounts with one GetAccountAuthorizationDetails each, repairs drift, reports orphans and deletes none', async () => {
    // Arrange: three grants per account; then hand-made drift in both, and a role whose records are gone
    const hub = await seed(HUB_CLUSTER, 3, 'scale');
    const spoke = await seed(SPOKE_CLUSTER, 3, 'scale');
    await iamOf(HUB).send(
      new CreatePolicyCommand({
        PolicyName: 'hand-made',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] }),
      }),
    );
    const handMade = `arn:aws:iam::${HUB}:policy/hand-made`;
    await iamOf(HUB).send(new AttachRolePolicyCommand({ RoleName: hub[0]!.plan.role.name, PolicyArn: handMade }));
    const loosened = {
      ...spoke[1]!.plan.role.trustPolicy,
      Statement: [{ ...spoke[1]!.plan.role.trustPolicy.Statement[0]!, Condition: {} }],
    };
    await iamOf(SPOKE).send(
      new UpdateAssumeRolePolicyCommand({ RoleName: spoke[1]!.plan.role.name, PolicyDocument: JSON.stringify(loosened) }),
    );
    const widened = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::acme-bench/*' }] };
    await iamOf(HUB).send(
      new CreatePolicyVersionCommand({
        PolicyArn: hub[2]!.plan.permissionPolicy!.arn,
        PolicyDocument: JSON.stringify(widened),
        SetAsDefault: true,
      }),
    );
    await iamOf(SPOKE).send(
      new CreateRoleCommand({
        RoleName: 'irsa-restored-leftover',
        Path: '/irsa-broker/',
        AssumeRolePolicyDocument: JSON.stringify(spoke[0]!.plan.role.trustPolicy),
        Tags: [MANAGED_BY, { Key: 'irsa-broker:cluster', Value: 'spoke-cluster' }],
      }),
    );
    const log = newCallLog();
    const deps = reconcileDeps(log);

    // Act
    const report = await reconcileGrants(deps);
    const clean = newCallLog();
    const again = await reconcileGrants(reconcileDeps(clean));

    // Assert: what was repaired, in which grant
    const byId = Object.fromEntries(report.drifted.map((entry) => [entry.id, entry.drift]));
    expect(byId[hub[0]!.id]).toEqual([{ what: 'attachment-extra', detail: handMade, outcome: 'repaired' }]);
    expect(byId[spoke[1]!.id]).toEqual([{ what: 'trust-policy', detail: spoke[1]!.plan.role.arn, outcome: 'repaired' }]);
    expect(byId[hub[2]!.id]).toEqual([{ what: 'policy-document', detail: hub[2]!.plan.permissionPolicy!.arn, outcome: 'repaired' }]);
    expect(report.failures).toEqual([]);
    expect(report.orphanRoles).toEqual([
      {
        name: 'irsa-restored-leftover',
        arn: `arn:aws:iam::${SPOKE}:role/irsa-broker/irsa-restored-leftover`,
        taggedWorkload: 'spoke-cluster/?/?',
      },
    ]);
    // One snapshot per account; every other call belongs to a repair (a re-read, then the change).
    expect(log.calls.filter((call) => call === 'GetAccountAuthorizationDetails')).toHaveLength(2);
    expect(log.calls.filter((call) => call !== 'GetAccountAuthorizationDetails').sort()).toEqual(
      [
        'GetRole',
        'ListAttachedRolePolicies',
        'DetachRolePolicy', // attachment-extra, under the lease
        'GetRole',
        'UpdateAssumeRolePolicy', // trust-policy
        // policy-document, under the lease: the role and the policy read again, then the policy recreated
        // (never a policy version) — detached, its version and itself deleted, created, attached again.
        'GetRole',
        'GetPolicy',
        'GetPolicyVersion',
        'ListPolicyVersions',
        'GetRole',
        'ListAttachedRolePolicies',
        'ListEntitiesForPolicy',
        'DetachRolePolicy',
        'DeletePolicyVersion',
        'DeletePolicy',
        'CreatePolicy',
        'AttachRolePolicy',
      ].sort(),
    );
    expect(again.drifted).toEqual([]);
    expect(again.checked).toBe(report.checked);
    expect(clean.calls).toEqual(['GetAccountAuthorizationDetails', 'GetAccountAuthorizationDetails']);
    expect(again.orphanRoles.map((role) => role.name)).toEqual(['irsa-restored-leftover']);
    await expect(iamOf(SPOKE).send(new GetRoleCommand({ RoleName: 'irsa-restored-leftover' }))).resolves.toBeDefined();
    expect(
      ((await iamOf(HUB).send(new ListAttachedRolePoliciesCommand({ RoleName: hub[0]!.plan.role.name }))).AttachedPolicies ?? []).map(
        (policy) => policy.PolicyArn,
      ),
    ).toEqual([hub[0]!.plan.permissionPolicy!.arn]);
    for (const record of [...hub, ...spoke]) expect(await findDrift(record, deps)).toEqual([]);
  });

  it('dispatches one SQS message per account through moto; the consumer handler, cut short, hands the rest on until every grant is covered', async () => {
    // Arrange: the handlers' environment, the FIFO queue in moto, a config file as deployed
    const sqs = new SQSClient({ endpoint: moto.endpoint, region: REGION, credentials });
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: 'irsa-broker-test-reconcile.fifo', Attributes: { FifoQueue: 'true', VisibilityTimeout: '30' } }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'irsa-broker-reconcile-'));
    writeFileSync(join(dir, 'broker.yaml'), dump(configInput));
    Object.assign(process.env, {
      IRSA_BROKER_CONFIG: join(dir, 'broker.yaml'),
      IRSA_BROKER_TABLE: 'irsa-broker-test',
      IRSA_BROKER_RECONCILE_QUEUE_URL: QueueUrl,
      // Every function has it (provider.environment); the reconciler never hands anything to provisioning.
      IRSA_BROKER_PROVISION_FUNCTION: 'irsa-broker-test-provisionGrant',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_IAM: moto.endpoint,
      AWS_ENDPOINT_URL_STS: moto.endpoint,
      AWS_ENDPOINT_URL_SQS: moto.endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    });
    const { handler: dispatch } = require('../../src/handlers/reconcileGrants') as typeof import('../../src/handlers/reconcileGrants');
    const { handler: consume, BUDGET_MARGIN_MS } =
      require('../../src/handlers/reconcileAccount') as typeof import('../../src/handlers/reconcileAccount');
    await seed(HUB_CLUSTER, 3, 'queued');
    await seed(SPOKE_CLUSTER, 2, 'queued');
    const deps = reconcileDeps(newCallLog());
    const grantsIn = async (clusterName: string) =>
      (await deps.store.list({ status: 'active', cluster: clusterName }, { limit: 1000 })).items.length;
    const expected = { [HUB]: await grantsIn('hub-cluster'), [SPOKE]: await grantsIn('spoke-cluster') };
    // No time left beyond the margin: each invocation checks one grant, then hands the rest on.
    const context = { getRemainingTimeInMillis: () => BUDGET_MARGIN_MS };
    const eventOf = (message: Message): SQSEvent =>
      ({
        Records: [{ messageId: message.MessageId!, receiptHandle: message.ReceiptHandle!, body: message.Body!, eventSource: 'aws:sqs' }],
      }) as unknown as SQSEvent;

    // Act: the schedule fires once; then the queue is drained as Lambda's event source mapping would
    const jobs = await dispatch();
    const bodies: string[] = [];
    const checked: Record<string, number> = { [HUB]: 0, [SPOKE]: 0 };
    const completed: string[] = [];
    for (let round = 0; round < 40; round++) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) break;
      for (const message of Messages) {
        bodies.push(message.Body!);
        const [report] = await consume(eventOf(message), context);
        checked[report!.accountId]! += report!.checked;
        if (report!.complete) completed.push(report!.accountId);
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle! }));
      }
    }

    // Assert: exactly the jobs' bytes went through SQS, and each account's grants were each covered once
    expect(jobs.map((job) => job.accountId)).toEqual([HUB, SPOKE]);
    expect(bodies.slice(0, 2).sort()).toEqual(jobs.map((job) => JSON.stringify(job)).sort());
    expect(checked).toEqual(expected);
    expect(completed.sort()).toEqual([HUB, SPOKE]);
    expect(bodies).toHaveLength(expected[HUB]! + expected[SPOKE]!);
    expect(await deps.cursors.get(HUB)).toMatchObject({ accountId: HUB, cycles: expect.any(Number) });
    expect((await deps.cursors.get(HUB))?.after).toBeUndefined();
  });
});
