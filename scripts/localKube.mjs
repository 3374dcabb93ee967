// The Kubernetes side of `npm start`: the test harness's kube-apiserver + etcd (built from Go modules
// into .harness/bin) with its EKS token webhook, so that `delivery: apply` puts ServiceAccounts into a
// real API server. The broker authenticates the EKS way, with a token made from its local credentials.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { kubePaths } from '../tests/harness/kube/build.mjs';
import { startKubeCluster } from '../tests/harness/kube/cluster.mjs';
import { ensureBrokerRbac } from '../tests/harness/kube/rbac.mjs';

/** Whether the harness binaries have been built (`npm test` builds them, as does `npm start -- --kube`). */
export const kubeHarnessBuilt = (root) => existsSync(kubePaths(root).stamp);

/** The webhook is TypeScript; one esbuild pass makes it loadable by plain node. */
async function loadWebhook(root, dir) {
  const outfile = join(dir, 'eksTokenWebhook.mjs');
  await build({
    entryPoints: [join(root, 'tests/harness/kube/eksTokenWebhook.ts')],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node22',
    logLevel: 'error',
  });
  return import(pathToFileURL(outfile).href);
}

/**
 * Starts an API server for `clusterName` that trusts the broker's `credentials` as `brokerArn` (as an
 * EKS access entry would) and lets it manage ServiceAccounts in `namespaces`. Writes the CA and an
 * admin token into `dir` for the walk-through's curl.
 * @param {string} root
 * @param {{ clusterName: string, namespaces: string[], credentials: { accessKeyId: string, secretAccessKey: string }, brokerArn: string, dir: string }} options
 */
export async function startLocalKube(root, { clusterName, namespaces, credentials, brokerArn, dir }) {
  mkdirSync(dir, { recursive: true });
  const { startEksTokenWebhook } = await loadWebhook(root, dir);
  const webhook = await startEksTokenWebhook({
    clusterName,
    keys: { [credentials.accessKeyId]: { secretAccessKey: credentials.secretAccessKey, arn: brokerArn } },
    mappings: { [brokerArn]: { username: 'irsa-broker', groups: ['irsa-broker'] } },
  });
  let kube;
  try {
    kube = await startKubeCluster(root, { webhookUrl: webhook.url, clusterName });
    await ensureBrokerRbac(kube, { namespaces });
  } catch (error) {
    await Promise.all([kube?.stop(), webhook.stop()]);
    throw error;
  }
  const caFile = join(dir, 'ca.crt');
  const tokenFile = join(dir, 'admin-token');
  writeFileSync(caFile, kube.caPem);
  writeFileSync(tokenFile, kube.adminToken, { mode: 0o600 });
  return {
    endpoint: kube.endpoint,
    caData: kube.caData,
    caFile,
    tokenFile,
    namespaces,
    stop: async () => {
      await kube.stop();
      await webhook.stop();
    },
  };
}
