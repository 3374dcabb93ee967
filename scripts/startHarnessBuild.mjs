// `npm ci` runs this first (the `preinstall` script): the kube-apiserver + etcd build of the test
// harness needs Go and the module proxy but nothing from node_modules, and it is the longest step of
// a cold `npm test`, so it starts here, in the background at the lowest CPU priority, while npm
// downloads. `npm test` waits for it and reports its output; when it failed, or never ran (npm ci
// --ignore-scripts), `npm test` builds itself and fails with Go's own message.
// Runs on whatever Node.js runs npm: only node: built-ins are loaded.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBackgroundBuild } from '../tests/harness/kube/build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// An install without dev dependencies (a deploy) cannot run the tests, and one may opt out.
const omitsDev = (process.env.npm_config_omit ?? '').split(/[\s,]+/).includes('dev') || process.env.NODE_ENV === 'production';
if (omitsDev || process.env.IRSA_BROKER_NO_HARNESS_BUILD) process.exit(0);
try {
  const { pid, started, log } = startBackgroundBuild(root);
  console.log(
    `irsa-broker: test harness build (kube-apiserver + etcd) ${started ? 'started' : 'already running'} in the background ` +
      `(pid ${pid}, log ${relative(root, log)}); npm test waits for it`,
  );
} catch (error) {
  // Never fail the install for the harness: npm test builds it itself and says what is missing.
  console.log(`irsa-broker: test harness build not started in the background (${error.message}); npm test will build it`);
}
