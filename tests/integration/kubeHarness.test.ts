/** @needs kube-apiserver (npm test runs this file after the harness build) */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { join } from 'node:path';
import { ensureKubeBinaries } from '../harness/kube/build.mjs';
import { kubeRequest, startKubeCluster } from '../harness/kube/cluster.mjs';
import { startEksTokenWebhook, type EksTokenWebhook } from '../harness/kube/eksTokenWebhook';
import { BROKER_GROUP, ensureBrokerRbac, ensureNamespace } from '../harness/kube/rbac.mjs';

const root = join(__dirname, '../..');
const CLUSTER_NAME = 'irsa-harness';
const REGION = 'eu-west-1';
const BROKER = { accessKeyId: 'AKIAHARNESSBROKER001', secretAccessKey: 'broker-secret-for-tests-only' };
const BROKER_ROLE_ARN = 'arn:aws:iam::123456789012:role/irsa-broker-lambda';
const STRANGER = { accessKeyId: 'AKIAHARNESSSTRANGER1', secretAccessKey: 'stranger-secret-for-tests-only' };
// Fresh names per run: without a controller-manager, deleted namespaces would never go away.
const run = Date.now().toString(36);
const granted = `team-a-${run}`;
const notGranted = `team-b-${run}`;

let webhook: EksTokenWebhook;
let cluster: Awaited<ReturnType<typeof startKubeCluster>>;

/** An EKS token as `aws eks get-token` makes it, from one of the harness's keys. */
async function mintToken({ clusterName = CLUSTER_NAME, signingDate = new Date(), key = BROKER } = {}): Promise<string> {
  const hostname = `sts.${REGION}.amazonaws.com`;
  const signer = new SignatureV4({ credentials: key, region: REGION, service: 'sts', sha256: Sha256 });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': clusterName },
    },
    { expiresIn: 60, signingDate },
  );
  const url = `https://${hostname}/?${new URLSearchParams(presigned.query as Record<string, string>)}`;
  return `k8s-aws-v1.${Buffer.from(url).toString('base64url')}`;
}

/** The same token with the last hex digit of its signature changed. */
function tamper(token: string): string {
  const url = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString();
  const changed = url.replace(
    /(X-Amz-Signature=[0-9a-f]*)([0-9a-f])/,
    (_, head: string, last: string) => head + (last === '0' ? '1' : '0'),
  );
  return `k8s-aws-v1.${Buffer.from(changed).toString('base64url')}`;
}

const getServiceAccount = (namespace: string, token: string) =>
  kubeRequest(cluster, 'GET', `/api/v1/namespaces/${namespace}/serviceaccounts/probe`, { token });

beforeAll(async () => {
  // A cold build compiles kube-apiserver and etcd from source: tens of minutes on two cores.
  const build = await ensureKubeBinaries(root);
  process.stderr.write(`[kube harness] binaries ${build.built ? 'built' : 'up to date'} in ${(build.elapsedMs / 1000).toFixed(1)} s\n`);
  webhook = await startEksTokenWebhook({
    clusterName: CLUSTER_NAME,
    keys: {
      [BROKER.accessKeyId]: { secretAccessKey: BROKER.secretAccessKey, arn: BROKER_ROLE_ARN },
      [STRANGER.accessKeyId]: { secretAccessKey: STRANGER.secretAccessKey, arn: 'arn:aws:iam::123456789012:role/not-mapped' },
    },
    mappings: { [BROKER_ROLE_ARN]: { username: 'irsa-broker', groups: [BROKER_GROUP] } },
  });
  cluster = await startKubeCluster(root, { webhookUrl: webhook.url, clusterName: CLUSTER_NAME });
  await ensureBrokerRbac(cluster, { namespaces: [granted] });
  await ensureNamespace(cluster, notGranted);
  for (const namespace of [granted, notGranted]) {
    const created = await kubeRequest(cluster, 'POST', `/api/v1/namespaces/${namespace}/serviceaccounts`, {
      token: cluster.adminToken,
      body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'probe' } },
    });
    expect(created.status).toBe(201);
  }
}, 40 * 60_000);

afterAll(async () => {
  await cluster?.stop();
  await webhook?.stop();
});

describe('kube harness', () => {
  it('returns the CA as EKS does: base64 of a PEM certificate', () => {
    expect(Buffer.from(cluster.caData, 'base64').toString()).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(cluster.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves the Kubernetes version the binaries were built from', async () => {
    const response = await kubeRequest(cluster, 'GET', '/version', { token: cluster.adminToken });

    expect(response.body).toMatchObject({ major: '1', minor: '34', gitVersion: expect.stringMatching(/^v1\.34\.\d+$/) });
  });

  it('authenticates an EKS token as the mapped user and groups', async () => {
    const review = await kubeRequest(cluster, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      token: await mintToken(),
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });

    expect(review.status).toBe(201);
    expect(review.body.status.userInfo).toMatchObject({ username: 'irsa-broker', groups: expect.arrayContaining([BROKER_GROUP]) });
  });

  it('lets RBAC allow ServiceAccounts in a granted namespace', async () => {
    const response = await getServiceAccount(granted, await mintToken());

    expect(response.status).toBe(200);
    expect(response.body.metadata.name).toBe('probe');
  });

  it('answers 403 in a namespace the broker was not granted', async () => {
    const response = await getServiceAccount(notGranted, await mintToken());

    expect(response.status).toBe(403);
  });

  it('answers 401 to a token signed for another cluster', async () => {
    const response = await getServiceAccount(granted, await mintToken({ clusterName: 'some-other-cluster' }));

    expect(response.status).toBe(401);
    expect(webhook.reviews().at(-1)).toMatchObject({ authenticated: false, error: expect.stringContaining('signature does not match') });
  });

  it('answers 401 to a token signed 20 minutes ago', async () => {
    const response = await getServiceAccount(granted, await mintToken({ signingDate: new Date(Date.now() - 20 * 60_000) }));

    expect(response.status).toBe(401);
    expect(webhook.reviews().at(-1)).toMatchObject({ authenticated: false, error: expect.stringContaining('expired') });
  });

  it('answers 401 to a token whose signature was changed', async () => {
    const response = await getServiceAccount(granted, tamper(await mintToken()));

    expect(response.status).toBe(401);
    expect(webhook.reviews().at(-1)).toMatchObject({ authenticated: false, error: expect.stringContaining('signature does not match') });
  });

  it('answers 401 to a valid AWS identity without an access entry', async () => {
    const response = await getServiceAccount(granted, await mintToken({ key: STRANGER }));

    expect(response.status).toBe(401);
    expect(webhook.reviews().at(-1)).toMatchObject({ authenticated: false, error: expect.stringContaining('not mapped') });
  });
});
