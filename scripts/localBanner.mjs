// What `npm start` prints: what is running where, and walk-throughs a new user pastes into a shell.
// tests/integration/localApi.test.ts runs the printed commands exactly as they are printed.
import { relative } from 'node:path';
import { accountOf } from './localAws.mjs';

const json = (expression) => `node -pe 'const r = JSON.parse(require("fs").readFileSync(0)); ${expression}'`;

/** Submit `example` as alice into $`idVar`, approve it as bob, wait until provisioning is done. */
function submitApproveWait(idVar, example) {
  return [
    `${idVar}=$(curl -s $B/access-requests -H "authorization: Bearer $ALICE" -H 'content-type: application/json' --data @${example} | ${json('r.id')})`,
    `curl -s -X POST $B/access-requests/$${idVar}/approve -H "authorization: Bearer $BOB" -H 'content-type: application/json' --data '{"comment":"ok"}' | ${json('r.status')}`,
    '# provisionGrant runs on its own (an asynchronous Lambda invoke): wait while it works',
    `for i in $(seq 60); do curl -s $B/access-requests/$${idVar} -H "authorization: Bearer $ALICE" | grep -Eq '"status":"(approved|provisioning)"' || break; sleep 1; done`,
    `curl -s $B/access-requests/$${idVar} -H "authorization: Bearer $ALICE" | ${json('JSON.stringify({ status: r.status, grant: r.grant, error: r.provisioning?.lastError }, null, 2)')}`,
  ];
}

const block = (title, commands) => [title, '', ...commands.map((command) => `  ${command}`), ''];

/**
 * @param {{ root: string, baseUrl: string, aws: any, kube?: any, config: any, configPath: string, dataDir: string,
 *   tableName: string, lambdaEndpoint: string }} running
 */
export function localBanner({ root, baseUrl, aws, kube, config, configPath, dataDir, tableName, lambdaEndpoint }) {
  const rel = (path) => relative(root, path) || '.';
  const account = accountOf(config.permissionsBoundaryArn);
  const lines = [
    '',
    `irsa-broker is running at ${baseUrl} (data in ${rel(dataDir)}, config ${rel(configPath)})`,
    '',
    `  AWS (IAM, EKS, STS)  ${aws.endpoint}  ${aws.embedded ? `embedded moto, account ${account}, log ${rel(aws.logFile)}` : 'from AWS_ENDPOINT_URL'}`,
    `  DynamoDB             dynalite, table ${tableName}`,
    `  Lambda (hand-offs)   ${lambdaEndpoint}`,
    kube
      ? `  Kubernetes API       ${kube.endpoint}  cluster ${config.clusters[0].name}, the broker may manage ServiceAccounts in ${kube.namespaces.join(', ')}`
      : `  Kubernetes API       none, so \`delivery: apply\` and the check after provisioning are off (${aws.embedded ? 'npm start -- --kube builds a local API server, ~7 min once' : "the emulator's DescribeCluster names its own endpoints"})`,
    `  provisioning         ${config.provisioning?.enabled ? 'on: approval creates the policy and role in the emulator' : 'off: approved grants are plan-only'} (config/local.yaml)`,
    `  API reference        ${baseUrl}/docs (the document: ${baseUrl}/openapi.json)`,
    '',
    ...block(`Walk-through: paste into bash or zsh, from ${root}:`, [
      `B=${baseUrl}`,
      'ALICE=$(node scripts/local-token.mjs --sub alice --groups team-payments)   # a requester',
      'BOB=$(node scripts/local-token.mjs --sub bob --groups payments-leads)      # an approver',
      ...submitApproveWait('ID', 'examples/plan-request.json'),
      `curl -s $B/access-requests/$ID/events -H "authorization: Bearer $ALICE" | ${json('r.events.map((e) => e.type + (e.reason ? ": " + e.reason : "")).join("\\n")')}`,
      '# the roles in the emulator, with their trust policy and attached policies',
      `AWS_ENDPOINT_URL=${aws.endpoint} node scripts/emulator-roles.mjs`,
    ]),
  ];
  if (kube) {
    lines.push(
      ...block('Delivery by apply: then, in the same shell, a request that puts its ServiceAccount into the local API server:', [
        ...submitApproveWait('APPLIED', 'examples/apply-request.json'),
        `curl -s --cacert ${rel(kube.caFile)} -H "authorization: Bearer $(cat ${rel(kube.tokenFile)})" ${kube.endpoint}/api/v1/namespaces/payments/serviceaccounts/invoice-applier | ${json('JSON.stringify(r.metadata.annotations, null, 2)')}`,
      ]),
    );
  }
  lines.push(
    `Plan without creating anything (a token is needed here too): curl -s ${baseUrl}/plans -H "authorization: Bearer $ALICE" -H 'content-type: application/json' --data @examples/plan-request.json`,
    '',
  );
  lines.push('Press Ctrl-C to stop.', '');
  return lines.join('\n');
}
