// `npm test`: every check CI runs, in order, stopping at the first failure with a clear message.
// Ends with one plain summary line: "tests: N passed, N failed, N skipped".
import './lambdaNode.mjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot } from './offline.mjs';
import { KUBE_BUILD_PENDING_ENV, NEEDS_KUBE_PRAGMA, spawnKubeBuild } from '../tests/harness/kube/build.mjs';

const bin = (name) => join(projectRoot, 'node_modules/.bin', name);
const reports = join(projectRoot, '.harness/reports');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

function run(title, command, args, env = {}) {
  console.log(`\n=== ${title}`);
  const result = spawnSync(command, args, { cwd: projectRoot, stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

/**
 * The kube-apiserver build, cold the longest step (~6 min on 2 cores), which only the integration
 * tests that declare they need it wait for: it runs in the background at the lowest CPU priority
 * while the steps that do not need it run.
 */
function kubeBuildInBackground() {
  console.log(
    '\n=== harness: kube-apiserver + etcd from Go modules (.harness/bin; ~6 min cold, reused after; in the background while the steps below run)',
  );
  return spawnKubeBuild(projectRoot);
}

console.log(`Node.js ${process.version} (${process.execPath})`);

const totals = { passed: 0, failed: 0, skipped: 0 };
/** Runs one jest project (or the given files of it) and adds its report to the totals. */
function jestRun(title, reportName, args, env = {}) {
  const outputFile = join(reports, `${reportName}.json`);
  const ok = run(`jest: ${title}`, process.execPath, [bin('jest'), ...args, '--json', `--outputFile=${outputFile}`, '--ci'], env);
  try {
    const report = JSON.parse(readFileSync(outputFile, 'utf8'));
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
    totals.skipped += report.numPendingTests + report.numTodoTests;
    if (report.numTotalTests === 0) {
      console.error(`jest ran no test for ${title}`);
      return false;
    }
  } catch {
    totals.failed += 1;
    console.error(`jest wrote no report for ${title}`);
  }
  return ok;
}

/**
 * The integration files split by whether they declare NEEDS_KUBE_PRAGMA in their first comment:
 * those that do run after the kube-apiserver build, the others while it runs.
 */
function integrationFiles() {
  const dir = join(projectRoot, 'tests/integration');
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => join(dir, name));
  const needsKube = (file) => /^\s*\/\*\*[\s\S]*?\*\//.exec(readFileSync(file, 'utf8'))?.[0].includes(NEEDS_KUBE_PRAGMA) ?? false;
  const withKube = files.filter(needsKube);
  return { withKube, withoutKube: files.filter((file) => !withKube.includes(file)) };
}
const integration = integrationFiles();
const integrationRun = (files) => [
  '--selectProjects',
  'integration',
  '--runTestsByPath',
  ...files.map((file) => relative(projectRoot, file)),
];

const harness = `import('./tests/harness/moto/setup.mjs').then((m) => m.ensureMotoVenv(process.cwd()))`;
const browserHarness = `import('./tests/harness/browser/chromium.mjs').then((m) => m.ensureChromium())`;

const kubeBuild = kubeBuildInBackground();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    kubeBuild.stop();
    process.exit(130);
  });
}

const steps = [
  // The harness first, so that a missing part (python3, venv, PyPI) fails here with its own message.
  () =>
    run('harness: moto venv (.harness/venv, reused when requirements.txt is unchanged)', process.execPath, [
      '--input-type=module',
      '-e',
      harness,
    ]),
  () =>
    run('harness: headless Chromium (Debian package chromium, installed with apt-get when missing)', process.execPath, [
      '--input-type=module',
      '-e',
      browserHarness,
    ]),
  () => run('typecheck (tsc --noEmit)', process.execPath, [bin('tsc'), '--noEmit']),
  () => run('lint (eslint)', process.execPath, [bin('eslint'), '.']),
  () => run('format (prettier --check)', process.execPath, [bin('prettier'), '--check', '.']),
  () => jestRun('unit tests', 'unit', ['--selectProjects', 'unit']),
  () =>
    jestRun(
      `integration tests that do not need the API server (${integration.withoutKube.length} files, during the build)`,
      'integration-without-kube',
      integrationRun(integration.withoutKube),
      { [KUBE_BUILD_PENDING_ENV]: '1' },
    ),
  () =>
    run('bench/coldstart (smoke run; figures are not asserted)', process.execPath, [
      join(projectRoot, 'bench/coldstart.mjs'),
      '--runs',
      '1',
    ]),
  () =>
    run(
      'bench/reconcile (smoke run; exits non-zero only if a cycle misses a grant or IAM calls per grant pass the 1% target)',
      process.execPath,
      [join(projectRoot, 'bench/reconcile.mjs'), '--grants', '40'],
    ),
  async () => {
    console.log('\n=== harness: waiting for the kube-apiserver build');
    const built = await kubeBuild.done;
    if (!built) console.error('the kube-apiserver + etcd build failed: see its output above ([kube harness])');
    return built;
  },
  () =>
    jestRun(
      `integration tests on the kube-apiserver harness (${integration.withKube.length} files)`,
      'integration-with-kube',
      // The build is over and both cores are free: two files at a time (each has its own servers).
      [...integrationRun(integration.withKube), '--maxWorkers=2'],
    ),
  () =>
    run('bench/provision (smoke run; figures are not asserted)', process.execPath, [
      join(projectRoot, 'bench/provision.mjs'),
      '--flows',
      '8',
    ]),
];

let ok = true;
for (const step of steps) {
  if (!(await step())) {
    ok = false;
    break;
  }
}
kubeBuild.stop();
if (totals.skipped > 0) {
  console.error(`${totals.skipped} test(s) were skipped; CI allows none`);
  ok = false;
}
console.log(`\ntests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
if (!ok) console.error('npm test FAILED: see the first failing step above');
process.exit(ok ? 0 : 1);
