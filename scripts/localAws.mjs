// The AWS side of `npm start`: an embedded moto server (the tests' pinned venv and launcher), or the
// emulator AWS_ENDPOINT_URL names, prepared with what an account running the broker already has —
// its EKS clusters and the permissions boundary — so that approving a request provisions for real.
import { CreateClusterCommand, DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreatePolicyCommand, GetPolicyCommand, IAMClient } from '@aws-sdk/client-iam';
import { ensureMotoVenv, startMoto } from '../tests/harness/moto/setup.mjs';
import { LOCAL_CREDENTIALS } from './localDynamo.mjs';

/** The account the embedded moto answers as: the broker's own, where its boundary policy lives. */
export const accountOf = (arn) => arn.split(':')[4];

/**
 * Starts moto on `port` (unless `endpoint` names a running emulator) with DescribeCluster answering
 * each configured cluster's issuer, and the API server of `kube` when there is one.
 * @param {{ root: string, config: any, endpoint?: string, port?: number, kube?: { endpoint: string, caData: string } }} options
 */
export async function startLocalAws({ root, config, endpoint, port, kube }) {
  if (endpoint) return { endpoint, embedded: false, stop: async () => {} };
  await ensureMotoVenv(root);
  const issuers = Object.fromEntries(config.clusters.filter((c) => c.oidcIssuer).map((c) => [c.name, c.oidcIssuer]));
  const moto = await startMoto(root, {
    port,
    env: {
      // Every call lands in this account, so the ARNs moto reports are the ones the plans name.
      MOTO_ACCOUNT_ID: accountOf(config.permissionsBoundaryArn),
      MOTO_EKS_ISSUERS: JSON.stringify(issuers),
      // AWS managed policies (arn:aws:iam::aws:policy/...) exist in every account; moto loads them only when asked.
      MOTO_IAM_LOAD_MANAGED_POLICIES: 'true',
      ...(kube ? { MOTO_EKS_ENDPOINT: kube.endpoint, MOTO_EKS_CA_DATA: kube.caData } : {}),
    },
  });
  return { endpoint: moto.endpoint, embedded: true, logFile: moto.logFile, stop: moto.stop };
}

/**
 * Creates, where missing, each configured cluster and the permissions boundary policy. Idempotent,
 * so an emulator that is already running keeps what it has.
 * @param {string} endpoint
 * @param {any} config the effective broker config
 */
export async function prepareLocalAccount(endpoint, config) {
  const credentials = LOCAL_CREDENTIALS;
  for (const cluster of config.clusters) {
    const eks = new EKSClient({ endpoint, region: cluster.region, credentials });
    try {
      await eks.send(new DescribeClusterCommand({ name: cluster.name }));
    } catch (error) {
      if (error.name !== 'ResourceNotFoundException') throw error;
      await eks.send(
        new CreateClusterCommand({
          name: cluster.name,
          roleArn: `arn:${cluster.partition ?? 'aws'}:iam::${cluster.accountId}:role/eks-cluster`,
          resourcesVpcConfig: { subnetIds: ['subnet-local'] },
        }),
      );
    }
    eks.destroy();
  }
  const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials });
  const boundaries = new Set([config.permissionsBoundaryArn, ...config.clusters.map((c) => c.permissionsBoundaryArn).filter(Boolean)]);
  for (const arn of boundaries) {
    if (accountOf(arn) !== accountOf(config.permissionsBoundaryArn)) continue;
    try {
      await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    } catch (error) {
      if (error.name !== 'NoSuchEntityException' && error.name !== 'NoSuchEntity') throw error;
      const resource = arn.slice(arn.indexOf(':policy/') + ':policy'.length);
      await iam.send(
        new CreatePolicyCommand({
          Path: resource.slice(0, resource.lastIndexOf('/') + 1),
          PolicyName: resource.slice(resource.lastIndexOf('/') + 1),
          PolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: ['s3:*', 'sqs:*', 'cloudwatch:*', 'logs:*'], Resource: '*' }],
          }),
        }),
      );
    }
  }
  iam.destroy();
}
