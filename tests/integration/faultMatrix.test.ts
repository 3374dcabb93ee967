/** @needs kube-apiserver (npm test runs this file after the harness build) */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleForNode } from '../../scripts/bundleForNode.mjs';
import type { CallerIdentity } from '../../src/domain/identity';
import { RequestStatus, type AccessRequestRecord } from '../../src/domain/requestLifecycle';
import type { ProvisioningDeps } from '../../src/usecases/provisioningDeps';
import { approveAccessRequest } from '../../src/usecases/decideAccessRequest';
import { provisionGrant } from '../../src/usecases/provisionGrant';
import { submitAccessRequest } from '../../src/usecases/submitAccessRequest';
import { sweepRequests } from '../../src/usecases/sweepRequests';
import { kubeRequest } from '../harness/kube/cluster.mjs';
import { ensureBrokerRbac } from '../harness/kube/rbac.mjs';
import { BROKER_KEY, startEksClusterHarness } from '../support/eksClusterHarness';
import { faultyDeps, type Fault, type FaultPlan } from '../support/faultyProvisioning';
import { brokerObjects, newCallLog, provisioningDeps } from '../support/provisioningHarness';
import { readTrail } from '../support/trail';

// The fault matrix of issue 11: a provisioning process (a real child process, bundled from
// tests/support/faultyProvisioning.ts) is killed right after each IAM and Kubernetes call of a fresh
// grant, and each dependency is made to hang inside a call (the process is then killed, as Lambda's
// timeout would). Then the sweep runs, with the clock past every deadline. Each case must end active
// (or cleanly failed, holding nothing), with an audit event for every change that happened and none
// for a change that did not, and no role without an expiry.

const root = join(__dirname, '../..');
const out = join(root, '.harness/build');
const runner = join(out, 'faultyProvisioning.cjs');
const developer: CallerIdentity = { subject: 'dev-1', groups: ['developers'], source: 'jwt' };
const approver: CallerIdentity = { subject: 'approver-1', groups: ['approvers'], source: 'jwt' };
const run = Date.now().toString(36);
const namespace = `faults-${run}`;
/** How long a hanging process lives before it is killed, standing in for the function's timeout. */
const FUNCTION_TIMEOUT_MS = 4_000;

type Harness = Awaited<ReturnType<typeof startEksClusterHarness>>;
let harness: Harness;

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  const [started] = await Promise.all([
    startEksClusterHarness(root),
    bundleForNode(join(root, 'tests/support/faultyProvisioning.ts'), runner),
  ]);
  harness = started;
  await ensureBrokerRbac(harness.kube, { namespaces: [namespace] });
}, 45 * 60_000);
afterAll(async () => harness?.stop());

/** The harness deps, acting later than any deadline the killed process took (its lease, its run). */
function sweepDeps(plan: Pick<FaultPlan, 'changeLog'>): ProvisioningDeps & { ran: Promise<unknown>[] } {
  const delivery = { allowApply: true, createNamespaces: false, allowAdoption: false };
  const base = provisioningDeps(harness.moto.endpoint, harness.dynamo.endpoint, newCallLog(), { delivery }, newCallLog(), BROKER_KEY);
  const later = { ...base, clock: { now: () => new Date(Date.now() + 10 * 60_000) } };
  const deps = faultyDeps({ requestId: '', motoEndpoint: '', dynamoEndpoint: '', changeLog: plan.changeLog }, later);
  const ran: Promise<unknown>[] = [];
  // The hand-off runs the provisioning function here, as Lambda would after the sweep's invoke.
  return { ...deps, ran, queue: { enqueue: async (job) => void ran.push(provisionGrant(job.requestId, deps)) } };
}

/** Runs the provisioning process under `fault`; resolves with how it ended. */
function runProcess(plan: FaultPlan): Promise<{ code: number | null; signal: NodeJS.Signals | null; killedByTest: boolean }> {
  return new Promise((resolve) => {
    // Lambda's Node (the `node` dev dependency), whatever Node runs jest.
    const child = spawn(join(root, 'node_modules/node/bin/node'), [runner], {
      env: { ...process.env, FAULT_PLAN: JSON.stringify(plan), BENCH_ROOT: root },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    let killedByTest = false;
    const timer = setTimeout(() => {
      killedByTest = true;
      child.kill('SIGKILL');
    }, FUNCTION_TIMEOUT_MS * 3);
    if (plan.fault?.kind === 'hang-in') {
      clearTimeout(timer);
      setTimeout(() => {
        killedByTest = true;
        child.kill('SIGKILL');
      }, FUNCTION_TIMEOUT_MS);
    }
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, killedByTest });
    });
  });
}

const CHANGE_REASON: Record<string, string> = {
  createPolicy: 'CreatePolicy ',
  createRole: 'CreateRole ',
  attachPolicy: 'AttachRolePolicy ',
  apply: 'ServiceAccount ',
  createOidcProvider: 'CreateOpenIDConnectProvider ',
};

/** How many changes of each kind the log says happened, and how many the trail records as made. */
function countChanges(changeLog: string, trail: Awaited<ReturnType<typeof readTrail>>) {
  const happened: Record<string, number> = {};
  const lines = readFileSync(changeLog, 'utf8').split('\n').filter(Boolean);
  for (const line of lines) {
    const { method } = JSON.parse(line) as { method: string };
    const prefix = CHANGE_REASON[method] ?? method;
    happened[prefix] = (happened[prefix] ?? 0) + 1;
  }
  const recorded: Record<string, number> = {};
  for (const event of trail.filter((item) => item.type === 'aws-change' || item.type === 'kubernetes-change')) {
    const prefix = Object.values(CHANGE_REASON).find((candidate) => event.reason?.startsWith(candidate)) ?? event.reason ?? '';
    recorded[prefix] = (recorded[prefix] ?? 0) + 1;
  }
  return { happened, recorded };
}

const CASES: [string, Fault][] = [
  ['killed after CreatePolicy', { kind: 'kill-after', dependency: 'iam', call: 1 }],
  ['killed after CreateRole', { kind: 'kill-after', dependency: 'iam', call: 2 }],
  ['killed after AttachRolePolicy', { kind: 'kill-after', dependency: 'iam', call: 3 }],
  ['killed after the ServiceAccount apply', { kind: 'kill-after', dependency: 'kubernetes', call: 1 }],
  ['killed after its first store write', { kind: 'kill-after', dependency: 'dynamodb', call: 1 }],
  ['IAM hangs in CreateRole', { kind: 'hang-in', dependency: 'iam', call: 2 }],
  ['the Kubernetes API hangs in the apply', { kind: 'hang-in', dependency: 'kubernetes', call: 1 }],
  ['DynamoDB hangs on the start of the run', { kind: 'hang-in', dependency: 'dynamodb', call: 1 }],
  ['DynamoDB hangs on a confirmation', { kind: 'hang-in', dependency: 'dynamodb', call: 5 }],
  ['STS hangs assuming the cluster account session', { kind: 'hang-in', dependency: 'sts', call: 1 }],
  ['EKS hangs in DescribeCluster', { kind: 'hang-in', dependency: 'eks', call: 1 }],
];

describe('fault matrix: a provisioning process killed or hanging at each step, then the sweep', () => {
  it.each(CASES)(
    '%s: ends active, every change audited, the role with an expiry',
    async (name, fault) => {
      // Arrange: an approved request for a workload of its own.
      const serviceAccount = `sa-${CASES.findIndex(([caseName]) => caseName === name)}-${run}`;
      const changeLog = join(out, `changes-${serviceAccount}.jsonl`);
      rmSync(changeLog, { force: true });
      writeFileSync(changeLog, '');
      const deps = sweepDeps({ changeLog });
      // Submitted and approved now, with the hand-off lost: the provisioning process below is the one that takes it.
      const now = { ...deps, clock: { now: () => new Date() }, queue: { enqueue: async () => undefined } };
      const { id } = await submitAccessRequest(
        {
          cluster: 'harness',
          namespace,
          serviceAccount,
          delivery: 'apply',
          grants: [{ type: 's3', bucket: 'acme-invoices', level: 'read' }],
        },
        developer,
        now,
      );
      await approveAccessRequest(id, approver, undefined, now);
      const plan: FaultPlan = {
        requestId: id,
        motoEndpoint: harness.moto.endpoint,
        dynamoEndpoint: harness.dynamo.endpoint,
        changeLog,
        fault,
      };

      // Act: the process dies (or hangs and is killed); then the sweep, later than every deadline.
      const ended = await runProcess(plan);
      const report = await sweepRequests(deps);
      await Promise.all(deps.ran);

      // Assert: the process really died.
      expect(ended.signal).toBe('SIGKILL');
      // A hang held the process until the stand-in for Lambda's timeout killed it; a kill point killed it itself.
      expect(ended.killedByTest).toBe(fault.kind === 'hang-in');
      expect(report.failures).toEqual([]);
      const record = (await deps.store.get(id)) as AccessRequestRecord;
      expect(record.status).toBe(RequestStatus.Active);
      expect(record.expiresAt).toBeDefined();
      expect(record.provisioning?.intent).toBeUndefined();
      // Every change that happened is in the trail exactly once; nothing is claimed that did not happen.
      const trail = await readTrail(deps.store, id);
      const { happened, recorded } = countChanges(changeLog, trail);
      expect(recorded).toEqual(happened);
      // The role exists once, with its grant's expiry; the ServiceAccount points at it.
      const objects = await brokerObjects(harness.moto.endpoint);
      expect(objects.roles.filter((role) => role.RoleName === record.plan.role.name)).toHaveLength(1);
      const account = (await kubeRequest(harness.kube, 'GET', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}`, {
        token: harness.kube.adminToken,
      })) as {
        body: { metadata: { annotations: Record<string, string> } };
      };
      expect(account.body.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(record.plan.role.arn);
    },
    60_000,
  );

  it('a grant that fails for good after its role was made keeps an expiry, and at it the sweep removes everything', async () => {
    // Arrange: delivery into a namespace that does not exist fails after CreatePolicy, CreateRole and AttachRolePolicy.
    const changeLog = join(out, `changes-missing-namespace-${run}.jsonl`);
    writeFileSync(changeLog, '');
    const deps = sweepDeps({ changeLog });
    const now = { ...deps, clock: { now: () => new Date() }, queue: { enqueue: async () => undefined } };
    const { id } = await submitAccessRequest(
      {
        cluster: 'harness',
        namespace: `missing-${run}`,
        serviceAccount: 'orphan-maker',
        delivery: 'apply',
        grants: [{ type: 's3', bucket: 'acme-invoices', level: 'read' }],
      },
      developer,
      now,
    );
    await approveAccessRequest(id, approver, undefined, now);
    const failed = await provisionGrant(id, faultyDeps({ requestId: id, motoEndpoint: '', dynamoEndpoint: '', changeLog }, now));
    const dayLater = { ...deps, clock: { now: () => new Date(Date.now() + (deps.config.provisioning.failedGrantHours + 1) * 3_600_000) } };

    // Act
    const report = await sweepRequests(dayLater);

    // Assert
    expect([failed.status, failed.provisioning?.lastError?.retryable]).toEqual([RequestStatus.Failed, false]);
    expect(failed.expiresAt).toBeDefined();
    expect(report.expiredFailed).toEqual([id]);
    const record = (await deps.store.get(id)) as AccessRequestRecord;
    expect(record.status).toBe(RequestStatus.Expired);
    const objects = await brokerObjects(harness.moto.endpoint);
    expect(objects.roles.map((role) => role.RoleName)).not.toContain(record.plan.role.name);
    expect(objects.policies.map((policy) => policy.Arn)).not.toContain(record.plan.permissionPolicy?.arn);
    const trail = await readTrail(deps.store, id);
    expect(trail.filter((event) => event.type === 'aws-change').map((event) => event.reason?.split(' ')[0])).toEqual([
      'CreatePolicy',
      'CreateRole',
      'AttachRolePolicy',
      'DetachRolePolicy',
      'DeleteRole',
      'DeletePolicy',
    ]);
  }, 60_000);

  it('leaves no broker role in IAM without a grant that has an expiry', async () => {
    // Arrange
    const deps = sweepDeps({ changeLog: join(out, 'changes-none.jsonl') });
    const objects = await brokerObjects(harness.moto.endpoint);
    const roles = objects.roles.filter((role) => role.RoleName?.includes(`faults-${run}`));

    // Act
    const page = await deps.store.list({ cluster: 'harness' }, { limit: 100 });

    // Assert
    expect(roles.length).toBe(CASES.length);
    for (const role of roles) {
      const holder = page.items.find((item) => item.plan.role.name === role.RoleName);
      expect(holder && [RequestStatus.Active, RequestStatus.Failed].includes(holder.status as never) && holder.expiresAt).toBeTruthy();
    }
  });
});
