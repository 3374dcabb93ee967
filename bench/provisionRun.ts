// Body of bench/provision (bundled and run by bench/provision.mjs): N flows submit → approve →
// provision → apply against the harness (moto for IAM and EKS, dynalite for requests, a real
// kube-apiserver for the ServiceAccounts).
import diagnosticsChannel from 'node:diagnostics_channel';
import { startLocalDynamo } from '../scripts/localDynamo.mjs';
import { EksTokenSource } from '../src/adapters/aws/eksTokenSource';
import { KubernetesServiceAccountApplier } from '../src/adapters/k8s/kubernetesServiceAccountApplier';
import type { CallerIdentity } from '../src/domain/identity';
import { approveAccessRequest } from '../src/usecases/decideAccessRequest';
import { provisionGrant } from '../src/usecases/provisionGrant';
import { submitAccessRequest } from '../src/usecases/submitAccessRequest';
import { startKubeCluster } from '../tests/harness/kube/cluster.mjs';
import { startEksTokenWebhook } from '../tests/harness/kube/eksTokenWebhook';
import { ensureBrokerRbac } from '../tests/harness/kube/rbac.mjs';
import { ensureMotoVenv, HARNESS_EKS_ENV, startMoto } from '../tests/harness/moto/setup.mjs';
import { brokerObjects, newCallLog, prepareAccount, provisioningDeps } from '../tests/support/provisioningHarness';

const root = process.env.BENCH_ROOT!;
const flows = Number(process.env.BENCH_FLOWS ?? 200);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 8);
const developer: CallerIdentity = { subject: 'dev-1', groups: ['developers'], source: 'jwt' };
const approver: CallerIdentity = { subject: 'approver-1', groups: ['approvers'], source: 'jwt' };
const BROKER_ROLE = 'arn:aws:iam::123456789012:role/irsa-broker-lambda';
const BROKER_KEY = { accessKeyId: 'AKIAHARNESSBROKER01', secretAccessKey: 'harness-broker-secret' };

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? 0;

async function inBatches<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

function countBy(values: string[]): Record<string, number> {
  return values.reduce<Record<string, number>>((counts, value) => ({ ...counts, [value]: (counts[value] ?? 0) + 1 }), {});
}

/**
 * Counts HTTP requests to one origin (the API server). client-node 2.x sends them through its own
 * undici, which announces every request on the process-wide `undici:request:create` channel; a
 * patch of node:https (how 1.x sent them) counted none. The AWS SDK uses node:https, not undici.
 */
function countRequestsTo(endpoint: string): { count: () => number; reset: () => void } {
  const { origin } = new URL(endpoint);
  let requests = 0;
  diagnosticsChannel.subscribe('undici:request:create', (message) => {
    if ((message as { request: { origin?: unknown } }).request.origin === origin) requests++;
  });
  return { count: () => requests, reset: () => (requests = 0) };
}

async function main() {
  await ensureMotoVenv(root);
  const webhook = await startEksTokenWebhook({
    clusterName: 'harness',
    keys: { [BROKER_KEY.accessKeyId]: { secretAccessKey: BROKER_KEY.secretAccessKey, arn: BROKER_ROLE } },
    mappings: { [BROKER_ROLE]: { username: 'irsa-broker', groups: ['irsa-broker'] } },
  });
  const kube = await startKubeCluster(root, { webhookUrl: webhook.url, clusterName: 'harness' });
  const [moto, dynamo] = await Promise.all([
    startMoto(root, { env: { ...HARNESS_EKS_ENV, MOTO_EKS_ENDPOINT: kube.endpoint, MOTO_EKS_CA_DATA: kube.caData } }),
    startLocalDynamo({ root, tableName: 'irsa-broker-test' }),
  ]);
  try {
    await moto.reset();
    await prepareAccount(moto.endpoint);
    const namespace = `bench-${Date.now().toString(36)}`;
    await ensureBrokerRbac(kube, { namespaces: [namespace] });
    const iamLog = newCallLog();
    const eksLog = newCallLog();
    // One set of dependencies for all flows, as one warm provisioning function would have.
    const applier = new KubernetesServiceAccountApplier(new EksTokenSource(async () => BROKER_KEY));
    const delivery = { allowApply: true, createNamespaces: false, allowAdoption: false };
    const deps = {
      ...provisioningDeps(moto.endpoint, dynamo.endpoint, iamLog, { delivery }, eksLog, BROKER_KEY),
      serviceAccounts: async () => applier,
    };
    const kubeRequests = countRequestsTo(kube.endpoint);
    const ids: string[] = [];
    const latencies: number[] = [];
    await inBatches(
      Array.from({ length: flows }, (_, index) => index),
      async (index) => {
        const started = performance.now();
        const { id } = await submitAccessRequest(
          {
            cluster: 'harness',
            namespace,
            serviceAccount: `workload-${index}`,
            delivery: 'apply',
            grants: [{ type: 's3', bucket: 'acme-bench', prefix: `w${index}/`, level: 'read-write' }],
          },
          developer,
          deps,
        );
        await approveAccessRequest(id, approver, undefined, deps);
        const record = await provisionGrant(id, deps);
        latencies.push(performance.now() - started);
        if (record.status === 'active') ids.push(id);
      },
    );
    const freshCalls = iamLog.calls.length + eksLog.calls.length;
    const freshByName = countBy([...eksLog.calls, ...iamLog.calls]);
    const freshKubeRequests = kubeRequests.count();
    const minimum = 1 /* DescribeCluster, one cluster */ + 3 * flows; /* CreatePolicy, CreateRole, AttachRolePolicy */

    iamLog.calls.length = 0;
    kubeRequests.reset();
    await inBatches([...ids], async (id) => void (await provisionGrant(id, deps)));
    const rerunWrites = iamLog.writes().length;
    const rerunCalls = iamLog.calls.length + kubeRequests.count();

    // Second pass: each workload gets a second grant (another bucket) while its first stays active.
    iamLog.calls.length = 0;
    eksLog.calls.length = 0;
    kubeRequests.reset();
    const added: string[] = [];
    await inBatches(
      Array.from({ length: flows }, (_, index) => index),
      async (index) => {
        const { id } = await submitAccessRequest(
          {
            cluster: 'harness',
            namespace,
            serviceAccount: `workload-${index}`,
            delivery: 'apply',
            grants: [{ type: 's3', bucket: 'acme-bench-reports', prefix: `w${index}/`, level: 'read' }],
          },
          developer,
          deps,
        );
        await approveAccessRequest(id, approver, undefined, deps);
        if ((await provisionGrant(id, deps)).status === 'active') added.push(id);
      },
    );
    const addedCalls = iamLog.calls.length + eksLog.calls.length;
    const addedByName = countBy([...eksLog.calls, ...iamLog.calls]);
    const addedKubeRequests = kubeRequests.count();
    const addedMinimum = 3 * flows; /* CreatePolicy, AttachRolePolicy, and GetRole: the ownership proof before touching a role */
    iamLog.calls.length = 0;
    kubeRequests.reset();
    await inBatches([...added], async (id) => void (await provisionGrant(id, deps)));
    const addedRerunCalls = iamLog.calls.length + kubeRequests.count();
    ids.push(...added);

    const live = await brokerObjects(moto.endpoint);
    const records = await Promise.all(ids.map((id) => deps.store.get(id)));
    const roleNames = new Set(live.roles.map((role) => role.RoleName));
    const lost = 2 * flows - records.filter((record) => record?.status === 'active' && roleNames.has(record.plan.role.name)).length;
    const duplicated =
      live.roles.length -
      new Set(records.map((record) => record?.plan.role.name)).size +
      (live.policies.length - new Set(records.map((record) => record?.plan.permissionPolicy?.arn)).size);

    console.log(
      `bench/provision: ${flows} flows (submit → approve → provision → apply), ${concurrency} at a time, against moto, dynalite and kube-apiserver`,
    );
    console.table({
      'AWS calls per fresh grant': {
        value: (freshCalls / flows).toFixed(3),
        target: (minimum / flows).toFixed(3),
        ratio: `${(freshCalls / minimum).toFixed(3)}x`,
      },
      'Kubernetes requests per fresh grant': {
        value: (freshKubeRequests / flows).toFixed(3),
        target: '2.000',
        ratio: `${(freshKubeRequests / (2 * flows)).toFixed(3)}x`,
      },
      'AWS + Kubernetes calls on a re-run (all grants)': { value: rerunCalls, target: 0, ratio: '-' },
      'AWS calls per grant added to a workload': {
        value: (addedCalls / flows).toFixed(3),
        target: (addedMinimum / flows).toFixed(3),
        ratio: `${(addedCalls / addedMinimum).toFixed(3)}x`,
      },
      'Kubernetes requests per added grant': { value: (addedKubeRequests / flows).toFixed(3), target: '0.000', ratio: '-' },
      'AWS + Kubernetes calls on a re-run (added grants)': { value: addedRerunCalls, target: 0, ratio: '-' },
      'IAM writes on a re-run (all grants)': { value: rerunWrites, target: 0, ratio: '-' },
      'p50 ms per grant': { value: percentile(latencies, 50).toFixed(1), target: '-', ratio: '-' },
      'p99 ms per grant': { value: percentile(latencies, 99).toFixed(1), target: '-', ratio: '-' },
      'lost grants': { value: lost, target: 0, ratio: '-' },
      'duplicated grants': { value: duplicated, target: 0, ratio: '-' },
    });
    console.log(`AWS calls of the fresh pass by name: ${JSON.stringify(freshByName)}`);
    console.log('minimum: DescribeCluster once per cluster + CreatePolicy, CreateRole, AttachRolePolicy per grant;');
    console.log('         Kubernetes: one read (the ownership check) + one server-side apply per grant, and');
    console.log("         client-node's API discovery (GET /api/v1) once per client: more when its first calls run at once.");
    console.log(`AWS calls of the added-grant pass by name: ${JSON.stringify(addedByName)}`);
    console.log("minimum for an added grant: CreatePolicy + AttachRolePolicy, and GetRole to prove the role is the workload's;");
    console.log('         Kubernetes: none (the ServiceAccount already carries the role, whose ARN never changes).');
  } finally {
    await Promise.all([moto.stop(), dynamo.stop(), kube.stop(), webhook.stop()]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
