// `npm start`: the whole API on localhost with embedded defaults and no AWS account: dynalite holds
// the data in .local-data/, serverless-offline serves the functions.
import './lambdaNode.mjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalDynamo } from './localDynamo.mjs';
import { projectRoot, startOffline } from './offline.mjs';

const STAGE = 'local';
const tableName = `irsa-broker-${STAGE}`;
const port = Number(process.env.PORT ?? 3000);
const lambdaPort = Number(process.env.LAMBDA_PORT ?? port + 2);
const dataDir = process.env.IRSA_BROKER_DATA_DIR ?? join(projectRoot, '.local-data/dynamodb');
mkdirSync(dataDir, { recursive: true });

const dynamo = await startLocalDynamo({ root: projectRoot, tableName, path: dataDir });
const { baseUrl, stop } = await startOffline({
  port,
  lambdaPort,
  stage: STAGE,
  // serverless-offline hands AWS_* variables to the handlers; the SDK reads the endpoint from them.
  env: {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    IRSA_BROKER_TABLE: tableName,
    // Work handed to another function (provisioning, Slack) goes through serverless-offline's Lambda endpoint.
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${lambdaPort}`,
  },
});
const example = join(projectRoot, 'examples/plan-request.json');
console.log(`
irsa-broker is running at ${baseUrl} (data in ${dataDir})

  curl -s ${baseUrl}/plans -H 'content-type: application/json' --data @${example}
  curl -s ${baseUrl}/plans -H 'content-type: application/json' -H 'accept: application/yaml' --data @${example}
  curl -s ${baseUrl}/openapi.json

Act as a requester or an approver with a local token (see README, "Requests and approvals"):
  TOKEN=$(node scripts/local-token.mjs --sub alice --groups team-payments)
  curl -s ${baseUrl}/access-requests -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' --data @${example}

Press Ctrl-C to stop.
`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () =>
    stop()
      .then(() => dynamo.stop())
      .then(() => process.exit(0)),
  );
}
