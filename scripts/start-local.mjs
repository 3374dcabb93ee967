// `npm start`: the whole API on localhost with embedded defaults and no AWS account. dynalite holds
// the data in .local-data/, an embedded moto server (or the emulator AWS_ENDPOINT_URL names) stands
// in for IAM, EKS and STS so that approvals provision for real, the harness's kube-apiserver (when
// built, or with --kube) receives `delivery: apply` ServiceAccounts, serverless-offline serves the
// functions. Usage: npm start [-- --kube]
import './lambdaNode.mjs';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareLocalAccount, startLocalAws, accountOf } from './localAws.mjs';
import { makeLocalConfig, writeLocalConfig } from './localConfig.mjs';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalDynamo } from './localDynamo.mjs';
import { kubeHarnessBuilt, startLocalKube } from './localKube.mjs';
import { localBanner } from './localBanner.mjs';
import { projectRoot, startOffline } from './offline.mjs';

const { values: flags } = parseArgs({ options: { kube: { type: 'boolean', default: false } } });
const STAGE = 'local';
const tableName = `irsa-broker-${STAGE}`;
const port = Number(process.env.PORT ?? 3000);
const lambdaPort = Number(process.env.LAMBDA_PORT ?? port + 2);
const motoPort = Number(process.env.MOTO_PORT ?? port + 3);
const localData = join(projectRoot, '.local-data');
const dataDir = process.env.IRSA_BROKER_DATA_DIR ?? join(localData, 'dynamodb');
const runDir = join(localData, `run-${port}`);
mkdirSync(dataDir, { recursive: true });
mkdirSync(runDir, { recursive: true });

const stops = [];
const stopAll = async () => {
  for (const stop of stops.reverse()) await stop().catch(() => {});
  rmSync(runDir, { recursive: true, force: true });
};
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => stopAll().then(() => process.exit(0)));

async function main() {
  const externalAws = process.env.AWS_ENDPOINT_URL;
  const local = (applyAvailable) =>
    makeLocalConfig({ root: projectRoot, base: process.env.IRSA_BROKER_CONFIG, issuersFromEmulator: Boolean(externalAws), applyAvailable });
  // The clusters, account and namespaces decide what to start; whether apply is on waits for the API server.
  const draft = local(true).config;
  const brokerArn = `arn:aws:iam::${accountOf(draft.permissionsBoundaryArn)}:role/irsa-broker-local`;
  const [firstCluster] = draft.clusters;

  let kube;
  // An emulator we did not start reports its own cluster endpoints, so it cannot lead the broker to ours.
  if (!externalAws && (flags.kube || kubeHarnessBuilt(projectRoot))) {
    // Namespaces the approval rules name exactly; patterns like payments-* get no RBAC here.
    const namespaces = [...new Set(draft.approvalRules.flatMap((rule) => rule.namespaces).filter((ns) => /^[a-z0-9-]+$/.test(ns)))];
    kube = await startLocalKube(projectRoot, {
      clusterName: firstCluster.name,
      namespaces,
      credentials: LOCAL_CREDENTIALS,
      brokerArn,
      dir: join(runDir, 'kube'),
    });
    stops.push(kube.stop);
  }
  const effective = local(Boolean(kube));
  const { config } = effective;
  const configPath = writeLocalConfig(join(runDir, 'broker.yaml'), effective);

  const aws = await startLocalAws({ root: projectRoot, config, endpoint: externalAws, port: motoPort, kube });
  stops.push(aws.stop);
  await prepareLocalAccount(aws.endpoint, config);

  const dynamo = await startLocalDynamo({ root: projectRoot, tableName, path: dataDir });
  stops.push(dynamo.stop);
  const { baseUrl, stop } = await startOffline({
    port,
    lambdaPort,
    stage: STAGE,
    // serverless-offline hands AWS_* variables to the handlers; the SDK reads the endpoints from them.
    env: {
      IRSA_BROKER_CONFIG: configPath,
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      IRSA_BROKER_TABLE: tableName,
      // Work handed to another function (provisioning, Slack) goes through serverless-offline's Lambda endpoint.
      AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${lambdaPort}`,
    },
  });
  stops.push(stop);
  console.log(
    localBanner({
      root: projectRoot,
      baseUrl,
      aws,
      kube,
      config,
      configPath,
      dataDir,
      tableName,
      lambdaEndpoint: `http://127.0.0.1:${lambdaPort}`,
    }),
  );
}

main().catch(async (error) => {
  console.error(`npm start failed: ${error.message}`);
  await stopAll();
  process.exit(1);
});
