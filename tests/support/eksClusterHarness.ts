import { startLocalDynamo } from '../../scripts/localDynamo.mjs';
import { startKubeCluster } from '../harness/kube/cluster.mjs';
import { startEksTokenWebhook } from '../harness/kube/eksTokenWebhook';
import { ensureMotoVenv, HARNESS_EKS_ENV, startMoto } from '../harness/moto/setup.mjs';
import { credentials, prepareAccount } from './provisioningHarness';

/** The broker's IAM role in the harness, and the access key the EKS token webhook knows it by. */
export const BROKER_ROLE = 'arn:aws:iam::123456789012:role/irsa-broker-lambda';
export const BROKER_KEY = { accessKeyId: 'AKIAHARNESSBROKER01', secretAccessKey: 'harness-broker-secret' };

/**
 * A kube-apiserver authenticating EKS tokens (the webhook maps the broker's role to the group RBAC
 * binds), moto whose DescribeCluster names that API server, and dynalite — prepared like an account.
 */
export async function startEksClusterHarness(root: string) {
  await ensureMotoVenv(root);
  const webhook = await startEksTokenWebhook({
    clusterName: 'harness',
    // EKS tokens are signed by the cluster account's session: in the harness the hub's, which acts
    // with the harness keys, so they too are the broker's role.
    keys: {
      [BROKER_KEY.accessKeyId]: { secretAccessKey: BROKER_KEY.secretAccessKey, arn: BROKER_ROLE },
      [credentials.accessKeyId]: { secretAccessKey: credentials.secretAccessKey, arn: BROKER_ROLE },
    },
    mappings: { [BROKER_ROLE]: { username: 'irsa-broker', groups: ['irsa-broker'] } },
  });
  const kube = await startKubeCluster(root, { webhookUrl: webhook.url, clusterName: 'harness' });
  // moto's DescribeCluster answers with this API server's endpoint and CA, as EKS would.
  const [moto, dynamo] = await Promise.all([
    startMoto(root, { env: { ...HARNESS_EKS_ENV, MOTO_EKS_ENDPOINT: kube.endpoint, MOTO_EKS_CA_DATA: kube.caData } }),
    startLocalDynamo({ root, tableName: 'irsa-broker-test' }),
  ]);
  await prepareAccount(moto.endpoint);
  const stop = () => Promise.all([moto.stop(), dynamo.stop(), kube.stop(), webhook.stop()]);
  return { webhook, kube, moto, dynamo, stop };
}
