import { GetRoleCommand, IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalDynamo } from '../../scripts/localDynamo.mjs';
import { startOffline } from '../../scripts/offline.mjs';
import { freePort } from '../../scripts/freePort.mjs';
import { ensureMotoVenv, HARNESS_EKS_ENV, startMoto } from '../harness/moto/setup.mjs';
import { ASYNC_FUNCTIONS, call, settleJobs, startStore } from '../support/accessRequestApi';
import { localToken } from '../support/localApi';
import { prepareAccount } from '../support/provisioningHarness';

// Approval hands the request to the provisioning function the way Lambda does: the real
// LambdaAsyncQueue sends an asynchronous Invoke through the real SDK, and the real handler parses
// exactly the bytes that arrived — in-process through a stand-in of Lambda's Invoke API, and through
// serverless-offline's own Lambda endpoint behind the local HTTP API.

const root = join(__dirname, '../..');
const config = join(root, 'tests/fixtures/broker.provisioning.yaml');
const developer = { sub: 'dev-1', groups: ['developers'] };
const approver = { sub: 'approver-1', groups: ['approvers'] };
let moto: Awaited<ReturnType<typeof startMoto>>;

beforeAll(async () => {
  await ensureMotoVenv(root);
  moto = await startMoto(root, { env: HARNESS_EKS_ENV });
}, 600_000);
afterAll(async () => moto?.stop());
beforeEach(async () => {
  await moto.reset();
  await prepareAccount(moto.endpoint);
});

const iam = () => new IAMClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });

function request(serviceAccount: string) {
  return {
    cluster: 'harness',
    namespace: 'payments',
    serviceAccount,
    grants: [{ type: 's3', bucket: 'acme-invoices', prefix: 'exports/', level: 'read' }],
    justification: 'hand-off test',
  };
}

/** The role exists in moto with exactly the planned policy attached. */
async function expectRoleInMoto(roleArn: string, policyArn: string): Promise<void> {
  const roleName = roleArn.split('/').pop()!;
  const role = await iam().send(new GetRoleCommand({ RoleName: roleName }));
  expect(role.Role?.Arn).toBe(roleArn);
  const attached = await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }));
  expect(attached.AttachedPolicies?.map((policy) => policy.PolicyArn)).toEqual([policyArn]);
}

describe('approval → provisioning hand-off through a stand-in of Lambda’s Invoke API', () => {
  let store: Awaited<ReturnType<typeof startStore>>;
  beforeAll(async () => {
    store = await startStore('irsa-broker-handoff');
    Object.assign(process.env, {
      IRSA_BROKER_CONFIG: config,
      AWS_ENDPOINT_URL_IAM: moto.endpoint,
      AWS_ENDPOINT_URL_EKS: moto.endpoint,
      AWS_ENDPOINT_URL_S3: moto.endpoint,
    });
  });
  afterAll(async () => store?.stop());

  it('sends exactly { requestId } and the real handler takes the request to active, role in moto', async () => {
    const submitted = await call('submitAccessRequest', { caller: developer, body: request('exporter') });
    expect(submitted.status).toBe(201);
    const { id } = submitted.body;
    const approved = await call('approveAccessRequest', { caller: approver, id, body: {} });
    expect(approved.body.status).toBe('approved');
    await settleJobs();

    const provisioning = store.lambda.invocations.filter((entry) => entry.functionName === ASYNC_FUNCTIONS.provision.name);
    expect(provisioning).toEqual([{ functionName: ASYNC_FUNCTIONS.provision.name, payload: JSON.stringify({ requestId: id }) }]);
    const fetched = await call('getAccessRequest', { caller: developer, id });
    expect(fetched.body).toMatchObject({ status: 'active', grant: { mode: 'provisioned' } });
    await expectRoleInMoto(fetched.body.grant.roleArn, fetched.body.grant.policyArn);

    const path = { cluster: 'harness', namespace: 'payments', serviceAccount: 'exporter' };
    const workload = await call('getWorkload', { caller: developer, path });
    expect(workload.status).toBe(200);
    expect(workload.body).toMatchObject({ roleArn: fetched.body.grant.roleArn, grants: [{ requestId: id, status: 'active' }] });
    const listed = await call('listWorkloads', { caller: developer, query: { cluster: 'harness', namespace: 'payments' } });
    expect(listed.body.items.map((item: { key: string }) => item.key)).toContain('harness/payments/exporter');
    const plan = await call('createPlan', { caller: developer, body: request('exporter') });
    expect(plan.body.workload).toMatchObject({
      exists: true,
      grants: [{ requestId: id }],
      usage: { attachedPolicies: { current: 1, used: 2, limit: 10 } },
    });
    expect((await call('getWorkload', { caller: developer, path: { ...path, serviceAccount: 'nobody' } })).body.error.code).toBe(
      'WORKLOAD_NOT_FOUND',
    );

    // Someone neither owning, approving nor auditing the namespace finds no such workload, lists none, reads no history.
    const stranger = { sub: 'stranger', email: 'stranger@example.com', groups: ['marketing'] };
    expect((await call('getWorkload', { caller: stranger, path })).body.error.code).toBe('WORKLOAD_NOT_FOUND');
    const strangerList = await call('listWorkloads', { caller: stranger, query: { cluster: 'harness', namespace: 'payments' } });
    expect(strangerList.body.items).toEqual([]);
    expect((await call('getWorkloadEvents', { caller: stranger, path })).body.error.code).toBe('WORKLOAD_NOT_FOUND');
    expect((await call('getWorkloadEvents', { caller: approver, path })).status).toBe(200);
  });

  it('hands /retry to the provisioning function the same way', async () => {
    const { id } = (await call('submitAccessRequest', { caller: developer, body: request('retried') })).body;
    // The approval's own hand-off is lost (Lambda unreachable): the request waits, approved.
    const endpoint = process.env.AWS_ENDPOINT_URL_LAMBDA;
    process.env.AWS_ENDPOINT_URL_LAMBDA = `http://127.0.0.1:${await freePort()}`;
    jest.resetModules();
    const lost = await call('approveAccessRequest', { caller: approver, id, body: {} });
    process.env.AWS_ENDPOINT_URL_LAMBDA = endpoint;
    jest.resetModules();
    expect(lost.status).toBe(503);
    expect(lost.body.error.code).toBe('ASYNC_HANDOFF_FAILED');
    expect((await call('getAccessRequest', { caller: developer, id })).body.status).toBe('approved');

    const retried = await call('retryAccessRequest', { caller: approver, id, body: {} });
    expect(retried.status).toBe(202);
    await settleJobs();
    const fetched = await call('getAccessRequest', { caller: developer, id });
    expect(fetched.body.status).toBe('active');
    expect(store.lambda.invocations.at(-1)).toEqual({
      functionName: ASYNC_FUNCTIONS.provision.name,
      payload: JSON.stringify({ requestId: id }),
    });
  });
});

describe('approval → provisioning hand-off behind the local HTTP API (serverless-offline)', () => {
  let dynamo: Awaited<ReturnType<typeof startLocalDynamo>>;
  let api: Awaited<ReturnType<typeof startOffline>>;
  const stage = 'handoff';

  beforeAll(async () => {
    dynamo = await startLocalDynamo({ root, tableName: `irsa-broker-${stage}` });
    const [port, lambdaPort] = [await freePort(), await freePort()];
    api = await startOffline({
      port,
      lambdaPort,
      stage,
      stdio: 'ignore',
      env: {
        IRSA_BROKER_CONFIG: config,
        AWS_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
        AWS_ENDPOINT_URL_IAM: moto.endpoint,
        AWS_ENDPOINT_URL_EKS: moto.endpoint,
        AWS_ENDPOINT_URL_S3: moto.endpoint,
        AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${lambdaPort}`,
      },
    });
  }, 180_000);
  afterAll(async () => Promise.all([api?.stop(), dynamo?.stop()]));

  const send = async (path: string, who: { sub: string; groups: string[] }, body: unknown = {}, method = 'POST') => {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${localToken(who.sub, who.groups)}`, 'content-type': 'application/json' },
      body: method === 'GET' ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  it('submit and approve over HTTP; the provisioning function makes the role in moto and the request active', async () => {
    const submitted = await send('/access-requests', developer, request('offline-exporter'));
    expect(submitted.status).toBe(201);
    const { id } = submitted.body;
    expect((await send(`/access-requests/${id}/approve`, approver)).body.status).toBe('approved');

    const deadline = Date.now() + 60_000;
    let fetched = await send(`/access-requests/${id}`, developer, undefined, 'GET');
    while (fetched.body.status !== 'active' && fetched.body.status !== 'failed' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      fetched = await send(`/access-requests/${id}`, developer, undefined, 'GET');
    }
    expect(fetched.body).toMatchObject({ status: 'active', grant: { mode: 'provisioned' } });
    await expectRoleInMoto(fetched.body.grant.roleArn, fetched.body.grant.policyArn);
  }, 90_000);
});
