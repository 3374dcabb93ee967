// `npm start`: the whole API on localhost with embedded defaults and no AWS account. dynalite holds
// the data in .local-data/, an embedded moto server (or the emulator AWS_ENDPOINT_URL names) stands
// in for IAM, EKS and STS so that approvals provision for real, the harness's kube-apiserver (when
// built, or with --kube) receives `delivery: apply` ServiceAccounts, serverless-offline serves the
// functions. Usage: npm start [-- --kube]
import './lambdaNode.mjs';
import { mkdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { prepareLocalAccount, startLocalAws, accountOf } from './localAws.mjs';
import { makeLocalConfig, writeLocalConfig } from './localConfig.mjs';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalDynamo } from './localDynamo.mjs';
import { kubeHarnessBuilt, startLocalKube } from './localKube.mjs';
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
  if (flags.kube || kubeHarnessBuilt(projectRoot)) {
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
  console.log(banner({ baseUrl, aws, kube, config, configPath }));
}

/** What is running, and the walk-through a new user pastes into a shell. */
function banner({ baseUrl, aws, kube, config, configPath }) {
  const rel = (path) => relative(projectRoot, path) || '.';
  const provisioned = config.provisioning?.enabled;
  const lines = [
    '',
    `irsa-broker is running at ${baseUrl} (data in ${rel(dataDir)}, config ${rel(configPath)})`,
    '',
    `  AWS (IAM, EKS, STS)  ${aws.endpoint}  ${aws.embedded ? `embedded moto, account ${accountOf(config.permissionsBoundaryArn)}, log ${rel(aws.logFile)}` : 'AWS_ENDPOINT_URL'}`,
    `  DynamoDB             dynalite, table ${tableName}`,
    `  Lambda (hand-offs)   http://127.0.0.1:${lambdaPort}`,
    kube
      ? `  Kubernetes API       ${kube.endpoint}  cluster ${config.clusters[0].name}, RBAC for the broker in ${kube.namespaces.join(', ')}`
      : '  Kubernetes API       none: `delivery: apply` is off (npm start -- --kube builds the local API server, ~7 min once)',
    `  provisioning         ${provisioned ? 'on: approval creates the policy and role in the emulator' : 'off: approved grants are plan-only'} (config/local.yaml)`,
    `  API reference        ${baseUrl}/docs (${baseUrl}/openapi.json)`,
    '',
    `Walk-through: paste into bash or zsh, from ${projectRoot}:`,
    '',
    `  B=${baseUrl}`,
    '  ALICE=$(node scripts/local-token.mjs --sub alice --groups team-payments)   # a requester',
    '  BOB=$(node scripts/local-token.mjs --sub bob --groups payments-leads)      # an approver',
    `  ID=$(curl -s $B/access-requests -H "authorization: Bearer $ALICE" -H 'content-type: application/json' --data @examples/plan-request.json | node -pe 'JSON.parse(require("fs").readFileSync(0)).id')`,
    `  curl -s -X POST $B/access-requests/$ID/approve -H "authorization: Bearer $BOB" -H 'content-type: application/json' --data '{"comment":"ok"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).status'`,
    '  # provisionGrant runs on its own (an asynchronous Lambda invoke): wait while it works',
    `  for i in $(seq 60); do curl -s $B/access-requests/$ID -H "authorization: Bearer $ALICE" | grep -Eq '"status":"(approved|provisioning)"' || break; sleep 1; done`,
    `  curl -s $B/access-requests/$ID -H "authorization: Bearer $ALICE" | node -pe 'const r = JSON.parse(require("fs").readFileSync(0)); JSON.stringify({ status: r.status, grant: r.grant, error: r.provisioning?.lastError }, null, 2)'`,
    `  curl -s $B/access-requests/$ID/events -H "authorization: Bearer $ALICE" | node -pe 'JSON.parse(require("fs").readFileSync(0)).events.map((e) => e.type + (e.reason ? ": " + e.reason : "")).join("\\n")'`,
    '  # the roles in the emulator, with their trust policy and attached policies',
    `  AWS_ENDPOINT_URL=${aws.endpoint} node scripts/emulator-roles.mjs`,
    '',
  ];
  if (kube) {
    lines.push(
      'Delivery by apply: the same steps with examples/apply-request.json put the ServiceAccount into the local API server:',
      '',
      `  curl -s --cacert ${rel(kube.caFile)} -H "authorization: Bearer $(cat ${rel(kube.tokenFile)})" ${kube.endpoint}/api/v1/namespaces/payments/serviceaccounts/invoice-applier`,
      '',
    );
  }
  lines.push(
    `Plan without creating anything: curl -s ${baseUrl}/plans -H 'content-type: application/json' --data @examples/plan-request.json`,
    '',
  );
  lines.push('Press Ctrl-C to stop.', '');
  return lines.join('\n');
}

main().catch(async (error) => {
  console.error(`npm start failed: ${error.message}`);
  await stopAll();
  process.exit(1);
});
