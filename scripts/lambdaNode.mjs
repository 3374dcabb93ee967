// Runs the project's scripts on the Lambda runtime's Node.js major, whatever Node the machine has.
// The `node` dev dependency (Node.js from the npm registry) puts that binary in node_modules/.bin,
// which npm puts first on PATH: `npm start` and `npm test` already get it. A script started as
// `node scripts/x.mjs` on an older Node imports this module first and is run again under it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The major of `runtime: nodejs22.x` in serverless.yml. */
export const LAMBDA_NODE_MAJOR = 22;

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The Node.js binary the `node` dev dependency installs. */
export const lambdaNodeBinary = join(root, 'node_modules/node/bin/node');

const major = Number(process.versions.node.split('.')[0]);
if (major !== LAMBDA_NODE_MAJOR) {
  if (!existsSync(lambdaNodeBinary)) {
    console.error(
      `This is Node.js ${process.versions.node}; irsa-broker runs on Node.js ${LAMBDA_NODE_MAJOR} (Lambda's nodejs${LAMBDA_NODE_MAJOR}.x), ` +
        `which \`npm ci\` installs as the \`node\` dev dependency (${lambdaNodeBinary} is missing): run npm ci first.`,
    );
    process.exit(1);
  }
  // Synchronous on purpose: the modules imported after this one must not start under the old Node.
  const result = spawnSync(lambdaNodeBinary, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
