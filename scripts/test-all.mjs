// `npm test`: every check CI runs, in order, stopping at the first failure with a clear message.
// Ends with one plain summary line: "tests: N passed, N failed, N skipped".
import './lambdaNode.mjs';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './offline.mjs';

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
 * Starts a step that takes minutes in the background (the kube-apiserver build, cold); the steps that
 * do not need it run meanwhile, and `join` waits for it before the first one that does.
 */
function startInBackground(title, command, args) {
  console.log(`\n=== ${title} (in the background while the checks below run)`);
  const child = spawn(command, args, { cwd: projectRoot, stdio: 'inherit', env: process.env });
  const done = new Promise((resolve) => child.on('exit', (code) => resolve(code === 0)));
  return { done, stop: () => child.exitCode === null && child.kill() };
}

console.log(`Node.js ${process.version} (${process.execPath})`);

const totals = { passed: 0, failed: 0, skipped: 0 };
function jestProject(project) {
  const outputFile = join(reports, `${project}.json`);
  const ok = run(`jest: ${project} tests`, process.execPath, [
    bin('jest'),
    '--selectProjects',
    project,
    '--json',
    `--outputFile=${outputFile}`,
    '--ci',
  ]);
  try {
    const report = JSON.parse(readFileSync(outputFile, 'utf8'));
    totals.passed += report.numPassedTests;
    totals.failed += report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
    totals.skipped += report.numPendingTests + report.numTodoTests;
    if (report.numTotalTests === 0) {
      console.error(`jest ran no ${project} test`);
      return false;
    }
  } catch {
    totals.failed += 1;
    console.error(`jest wrote no report for the ${project} project`);
  }
  return ok;
}

const harness = `import('./tests/harness/moto/setup.mjs').then((m) => m.ensureMotoVenv(process.cwd()))`;
const kubeHarness = `import('./tests/harness/kube/build.mjs').then((m) => m.ensureKubeBinaries(process.cwd()))`;
const browserHarness = `import('./tests/harness/browser/chromium.mjs').then((m) => m.ensureChromium())`;

// The kube-apiserver build is the longest step cold (~6 min on 2 cores) and only the integration
// tests need it: it runs while the other harness parts, the static checks and the unit tests do.
const kubeBuild = startInBackground(
  'harness: kube-apiserver + etcd from Go modules (.harness/bin; ~6 min cold, reused after)',
  process.execPath,
  ['--input-type=module', '-e', kubeHarness],
);

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
  () => jestProject('unit'),
  async () => {
    console.log('\n=== harness: waiting for the kube-apiserver build');
    const built = await kubeBuild.done;
    if (!built) console.error('the kube-apiserver + etcd build failed: see its output above ([kube harness])');
    return built;
  },
  () => jestProject('integration'),
  () =>
    run('bench/coldstart (smoke run; figures are not asserted)', process.execPath, [
      join(projectRoot, 'bench/coldstart.mjs'),
      '--runs',
      '1',
    ]),
  () =>
    run('bench/provision (smoke run; figures are not asserted)', process.execPath, [
      join(projectRoot, 'bench/provision.mjs'),
      '--flows',
      '8',
    ]),
  () =>
    run(
      'bench/reconcile (smoke run; exits non-zero only if a cycle misses a grant or IAM calls per grant pass the 1% target)',
      process.execPath,
      [join(projectRoot, 'bench/reconcile.mjs'), '--grants', '40'],
    ),
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
