/** @needs kube-apiserver (npm test runs this file after the harness build) */
import { join } from 'node:path';
import { EksTokenSource } from '../../src/adapters/aws/eksTokenSource';
import { KubernetesServiceAccountApplier } from '../../src/adapters/k8s/kubernetesServiceAccountApplier';
import type { CallerIdentity } from '../../src/domain/identity';
import { approveAccessRequest } from '../../src/usecases/decideAccessRequest';
import { provisionGrant } from '../../src/usecases/provisionGrant';
import { revokeAccessRequest } from '../../src/usecases/revokeAccessRequest';
import { submitAccessRequest } from '../../src/usecases/submitAccessRequest';
import { kubeRequest } from '../harness/kube/cluster.mjs';
import { ensureBrokerRbac, ensureNamespace } from '../harness/kube/rbac.mjs';
import { BROKER_KEY, startEksClusterHarness } from '../support/eksClusterHarness';
import { newCallLog, provisioningDeps } from '../support/provisioningHarness';
import { readTrail } from '../support/trail';

const root = join(__dirname, '../..');
const developer: CallerIdentity = { subject: 'dev-1', groups: ['developers'], source: 'jwt' };
const approver: CallerIdentity = { subject: 'approver-1', groups: ['approvers'], source: 'jwt' };
const run = Date.now().toString(36);
const allowed = `payments-${run}`;
const forbidden = `ledger-${run}`;

type Harness = Awaited<ReturnType<typeof startEksClusterHarness>>;
let harness: Harness;
let webhook: Harness['webhook'];
let kube: Harness['kube'];
let moto: Harness['moto'];
let dynamo: Harness['dynamo'];

beforeAll(async () => {
  harness = await startEksClusterHarness(root);
  ({ webhook, kube, moto, dynamo } = harness);
  await ensureBrokerRbac(kube, { namespaces: [allowed] });
  await ensureNamespace(kube, forbidden);
}, 45 * 60_000);
afterAll(async () => harness?.stop());

function deps(delivery = { allowApply: true, createNamespaces: false, allowAdoption: true }) {
  const base = provisioningDeps(moto.endpoint, dynamo.endpoint, newCallLog(), { delivery }, newCallLog(), BROKER_KEY);
  const applier = new KubernetesServiceAccountApplier(new EksTokenSource(async () => BROKER_KEY));
  return { ...base, serviceAccounts: async () => applier };
}

async function provisioned(namespace: string, serviceAccount: string, extra: Record<string, unknown> = {}) {
  const d = deps();
  const { id } = await submitAccessRequest(
    {
      cluster: 'harness',
      namespace,
      serviceAccount,
      delivery: 'apply',
      grants: [{ type: 's3', bucket: 'acme-invoices', level: 'read' }],
      ...extra,
    },
    developer,
    d,
  );
  await approveAccessRequest(id, approver, undefined, d);
  return { record: await provisionGrant(id, d), deps: d };
}

const readServiceAccount = (namespace: string, name: string) =>
  kubeRequest(kube, 'GET', `/api/v1/namespaces/${namespace}/serviceaccounts/${name}`, { token: kube.adminToken });

describe('delivery by apply, against a real kube-apiserver with EKS token authentication', () => {
  it('puts the ServiceAccount in the cluster with the role annotation and the managed-by label', async () => {
    const { record, deps } = await provisioned(allowed, 'invoice-exporter');

    expect(record.status).toBe('active');
    const account = await readServiceAccount(allowed, 'invoice-exporter');
    expect(account.status).toBe(200);
    expect(account.body.metadata.annotations).toMatchObject({
      'eks.amazonaws.com/role-arn': record.plan.role.arn,
      'irsa-broker.io/request-id': record.id,
    });
    expect(account.body.metadata.labels).toMatchObject({ 'irsa-broker.io/managed-by': 'irsa-broker' });
    expect(account.body.metadata.labels['app.kubernetes.io/managed-by']).toBeUndefined();
    expect(account.body.metadata.managedFields.map((field: { manager: string }) => field.manager)).toContain('irsa-broker');
    expect(
      (await readTrail(deps.store, record.id)).filter((event) => event.type === 'kubernetes-change').map((event) => event.reason),
    ).toEqual([`ServiceAccount ${allowed}/invoice-exporter created`]);
    // The broker was authenticated by its EKS token, as its mapped identity.
    expect(webhook.reviews().some((review) => review.authenticated && review.username === 'irsa-broker')).toBe(true);
  });

  it('changes nothing when the same ServiceAccount is applied again', async () => {
    const { record } = await provisioned(allowed, 'idempotent');
    const before = await readServiceAccount(allowed, 'idempotent');
    const applier = await deps().serviceAccounts();

    const outcome = await applier.apply(
      { name: 'harness', region: 'eu-west-1', partition: 'aws', endpoint: kube.endpoint, certificateAuthorityData: kube.caData },
      record.plan.serviceAccount.manifest,
      { adopt: false, createNamespace: false, ownerIds: [record.id] },
    );

    expect(outcome).toEqual({ outcome: 'unchanged' });
    expect((await readServiceAccount(allowed, 'idempotent')).body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
  });

  it('removes the ServiceAccount it created when the grant is revoked', async () => {
    const { record, deps: d } = await provisioned(allowed, 'short-lived');

    const revoked = await revokeAccessRequest(record.id, developer, undefined, d);

    expect(revoked.status).toBe('revoked');
    expect((await readServiceAccount(allowed, 'short-lived')).status).toBe(404);
  });

  it('refuses to take over a ServiceAccount it does not manage, unless asked to adopt it', async () => {
    await kubeRequest(kube, 'POST', `/api/v1/namespaces/${allowed}/serviceaccounts`, {
      token: kube.adminToken,
      body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'legacy', namespace: allowed } },
    });

    const refused = await provisioned(allowed, 'legacy');
    expect(refused.record.provisioning?.lastError?.code).toBe('SERVICE_ACCOUNT_NOT_MANAGED');
    expect((await readServiceAccount(allowed, 'legacy')).body.metadata.annotations).toBeUndefined();

    // A second request that asks to adopt it (the first one holds the role name, so revoke it first).
    await revokeAccessRequest(refused.record.id, developer, undefined, refused.deps);
    const adopted = await provisioned(allowed, 'legacy', { adoptExistingServiceAccount: true });
    expect(adopted.record.status).toBe('active');
    expect(adopted.record.provisioning?.serviceAccount).toBe('adopted');
    await revokeAccessRequest(adopted.record.id, developer, undefined, adopted.deps);
    const released = await readServiceAccount(allowed, 'legacy');
    expect(released.status).toBe(200);
    expect(released.body.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBeUndefined();
  });

  it('does not take over a ServiceAccount that merely copies the broker’s label and annotation, nor delete it', async () => {
    await kubeRequest(kube, 'POST', `/api/v1/namespaces/${allowed}/serviceaccounts`, {
      token: kube.adminToken,
      body: {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name: 'lookalike',
          namespace: allowed,
          labels: { 'irsa-broker.io/managed-by': 'irsa-broker', 'app.kubernetes.io/managed-by': 'irsa-broker' },
          annotations: { 'irsa-broker.io/request-id': '00000000-0000-4000-8000-000000000000' },
        },
      },
    });

    const refused = await provisioned(allowed, 'lookalike');

    expect(refused.record.provisioning?.lastError?.code).toBe('SERVICE_ACCOUNT_NOT_MANAGED');
    await revokeAccessRequest(refused.record.id, developer, undefined, refused.deps);
    const kept = await readServiceAccount(allowed, 'lookalike');
    expect(kept.status).toBe(200);
    expect(kept.body.metadata.annotations['eks.amazonaws.com/role-arn']).toBeUndefined();
  });

  it('remembers what adoption changed and restores it exactly on release', async () => {
    const original = {
      labels: { team: 'payments', 'irsa-broker.io/managed-by': 'someone' },
      annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/hand-made', note: 'keep me' },
    };
    await kubeRequest(kube, 'POST', `/api/v1/namespaces/${allowed}/serviceaccounts`, {
      token: kube.adminToken,
      body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'hand-made', namespace: allowed, ...original } },
    });

    const adopted = await provisioned(allowed, 'hand-made', { adoptExistingServiceAccount: true });
    expect(adopted.record.status).toBe('active');
    const during = (await readServiceAccount(allowed, 'hand-made')).body.metadata;
    expect(during.annotations['eks.amazonaws.com/role-arn']).toBe(adopted.record.plan.role.arn);
    await revokeAccessRequest(adopted.record.id, developer, undefined, adopted.deps);

    const released = (await readServiceAccount(allowed, 'hand-made')).body.metadata;
    expect(released.labels).toEqual(original.labels);
    expect(released.annotations).toEqual(original.annotations);
  });

  it('turns an RBAC refusal into an error naming what is missing', async () => {
    const { record } = await provisioned(forbidden, 'not-allowed');

    expect(record.status).toBe('failed');
    expect(record.provisioning?.lastError?.code).toBe('K8S_FORBIDDEN');
    expect(record.provisioning?.lastError?.message).toMatch(/cannot (get|patch) resource "serviceaccounts".*namespace "ledger-/);
  });

  // Runs after the RBAC test: it grants the broker ServiceAccounts in every namespace.
  it('names a missing namespace, and creates it only where config allows', async () => {
    const missing = `reports-${run}`;
    const clusterWide = 'irsa-broker-serviceaccounts-anywhere';
    await kubeRequest(kube, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      token: kube.adminToken,
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: clusterWide },
        rules: [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'create', 'patch', 'delete'] }],
      },
    });
    await kubeRequest(kube, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      token: kube.adminToken,
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: clusterWide },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterWide },
        subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'irsa-broker' }],
      },
    });
    await ensureBrokerRbac(kube, { namespaces: [], allowNamespaceCreation: true });

    const refused = await provisioned(missing, 'reporter');
    expect(refused.record.provisioning?.lastError).toMatchObject({
      code: 'K8S_NAMESPACE_MISSING',
      message: expect.stringContaining('delivery.createNamespaces'),
    });
    await revokeAccessRequest(refused.record.id, developer, undefined, refused.deps);

    const creating = deps({ allowApply: true, createNamespaces: true, allowAdoption: true });
    const { id } = await submitAccessRequest(
      {
        cluster: 'harness',
        namespace: missing,
        serviceAccount: 'reporter',
        delivery: 'apply',
        grants: [{ type: 's3', bucket: 'acme-invoices', level: 'read' }],
      },
      developer,
      creating,
    );
    await approveAccessRequest(id, approver, undefined, creating);
    expect((await provisionGrant(id, creating)).status).toBe('active');
    const namespace = await kubeRequest(kube, 'GET', `/api/v1/namespaces/${missing}`, { token: kube.adminToken });
    expect(namespace.body.metadata.labels).toMatchObject({ 'irsa-broker.io/managed-by': 'irsa-broker' });
  });

  it('turns a token the API server refuses into an error naming the missing access entry', async () => {
    const stranger = new KubernetesServiceAccountApplier(
      new EksTokenSource(async () => ({ accessKeyId: 'AKIAUNKNOWN000000001', secretAccessKey: 'nope' })),
    );
    await expect(
      stranger.apply(
        { name: 'harness', region: 'eu-west-1', partition: 'aws', endpoint: kube.endpoint, certificateAuthorityData: kube.caData },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'x', namespace: allowed } },
        { adopt: false, createNamespace: false, ownerIds: [] },
      ),
    ).rejects.toMatchObject({ code: 'K8S_UNAUTHORIZED', message: expect.stringContaining('access entry') });
  });

  it('keeps one ServiceAccount for the workload: a second grant leaves it as it is, the last revoke deletes it', async () => {
    const first = await provisioned(allowed, 'two-grants');
    const before = await readServiceAccount(allowed, 'two-grants');
    const { record: second } = await provisioned(allowed, 'two-grants', {
      grants: [{ type: 's3', bucket: 'acme-reports', level: 'read' }],
    });

    expect(second.status).toBe('active');
    const during = await readServiceAccount(allowed, 'two-grants');
    expect(during.body.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(first.record.plan.role.arn);
    expect(during.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);

    await revokeAccessRequest(first.record.id, developer, undefined, first.deps);
    const afterFirst = await readServiceAccount(allowed, 'two-grants');
    expect(afterFirst.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);

    await revokeAccessRequest(second.id, developer, undefined, first.deps);
    expect((await readServiceAccount(allowed, 'two-grants')).status).toBe(404);
  });
});
