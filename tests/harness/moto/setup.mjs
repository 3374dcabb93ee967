// moto server for integration tests: a cached venv under .harness/venv and a launcher per run.
// Loaded both by plain node (ESM) and by jest, which turns .mjs into CommonJS through swc, so this
// file takes the project root as a parameter and never touches import.meta.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../../scripts/freePort.mjs';

const HARNESS_DIR = 'tests/harness/moto';
const log = (message) => process.stderr.write(`[moto harness] ${message}\n`);

/** Fixed EKS values the launcher puts into DescribeCluster; tests compare against them. */
export const HARNESS_EKS_ENV = Object.freeze({
  MOTO_EKS_ENDPOINT: 'https://127.0.0.1:6443',
  MOTO_EKS_CA_DATA: Buffer.from('-----BEGIN CERTIFICATE-----\nbW90byBoYXJuZXNz\n-----END CERTIFICATE-----\n').toString('base64'),
  MOTO_EKS_ISSUER_TEMPLATE: 'https://oidc.harness.local/id/{name}',
});

/** Paths of the harness inside a project root. */
function paths(root) {
  const venv = join(root, '.harness/venv');
  return {
    requirements: join(root, HARNESS_DIR, 'requirements.txt'),
    launcher: join(root, HARNESS_DIR, 'launcher.py'),
    venv,
    python: join(venv, 'bin/python'),
    stamp: join(venv, '.requirements.sha256'),
    logs: join(root, '.harness/logs'),
  };
}

/** The end of a tool's output, short enough for an error message (pip lists every version it saw). */
const lastLines = (text) =>
  text
    .trim()
    .split('\n')
    .slice(-25)
    .map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line))
    .join('\n');

/** Runs a command to completion; resolves with its combined output or rejects naming the step. */
function run(step, command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => reject(new Error(`${step} failed: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(output);
      const tail = lastLines(output);
      reject(new Error(`${step} failed (${signal ?? `exit ${code}`}):\n${tail}`));
    });
  });
}

/**
 * Creates `<root>/.harness/venv` with moto installed, unless it already matches requirements.txt.
 * @param {string} root project root
 * @returns {Promise<string>} path of the venv's python
 */
export async function ensureMotoVenv(root) {
  const p = paths(root);
  const wanted = createHash('sha256').update(readFileSync(p.requirements)).digest('hex');
  // A missing python (e.g. the base interpreter was removed) makes the venv as stale as a new pin.
  if (existsSync(p.python) && existsSync(p.stamp) && readFileSync(p.stamp, 'utf8').trim() === wanted) return p.python;

  const started = Date.now();
  const basePython = process.env.MOTO_HARNESS_PYTHON || 'python3';
  // Recreate rather than upgrade in place: pip never removes packages a new pin list dropped.
  rmSync(p.venv, { recursive: true, force: true });
  log(`creating ${p.venv} with ${basePython} -m venv`);
  await run(`${basePython} -m venv ${p.venv}`, basePython, ['-m', 'venv', p.venv]).catch((error) => {
    throw new Error(`${error.message}\n(on Debian/Ubuntu the venv module may need: apt-get install python3-venv)`, { cause: error });
  });
  log(`pip install -r ${p.requirements} (30–40 s; pip prints nothing until it ends)`);
  await run(`pip install -r ${p.requirements}`, p.python, [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '--quiet',
    '-r',
    p.requirements,
  ]);
  // Written last, so an interrupted install is retried from scratch on the next run.
  writeFileSync(p.stamp, `${wanted}\n`);
  log(`venv ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return p.python;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** One log per server keeps parallel runs apart; a day is long enough to read a failure's. */
function pruneOldLogs(dir) {
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (name.startsWith('moto-') && Date.now() - statSync(file).mtimeMs > 86_400_000) rmSync(file, { force: true });
  }
}

function tailOf(file) {
  try {
    return lastLines(readFileSync(file, 'utf8'));
  } catch {
    return '(no log)';
  }
}

/**
 * @typedef {object} MotoServer
 * @property {string} endpoint base URL, e.g. http://127.0.0.1:41234
 * @property {string} logFile where moto's request log goes
 * @property {() => Promise<void>} reset drops every resource in every service (POST /moto-api/reset)
 * @property {() => Promise<void>} stop ends the server; safe to call twice
 */

/**
 * Starts moto through launcher.py on a free loopback port and waits until it answers.
 * Call ensureMotoVenv(root) first.
 * @param {string} root project root
 * @param {{ env?: Record<string, string>, timeoutMs?: number, port?: number }} [options] env reaches the
 *   launcher (MOTO_EKS_*); port defaults to a free one
 * @returns {Promise<MotoServer>}
 */
export async function startMoto(root, { env = {}, timeoutMs = 30_000, port: wantedPort = undefined } = {}) {
  const p = paths(root);
  if (!existsSync(p.python)) throw new Error(`moto venv missing at ${p.venv}: call ensureMotoVenv(root) first`);
  mkdirSync(p.logs, { recursive: true });
  pruneOldLogs(p.logs);
  const started = Date.now();
  const port = wantedPort ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const logFile = join(p.logs, `moto-${port}.log`);
  const fd = openSync(logFile, 'w');
  // stdin stays a pipe so the launcher can exit when this process dies without calling stop().
  const child = spawn(p.python, [p.launcher, String(port)], {
    stdio: ['pipe', fd, fd],
    env: { ...process.env, ...env, MOTO_EXIT_ON_STDIN_EOF: '1', PYTHONUNBUFFERED: '1' },
  });
  closeSync(fd);
  let exited = null;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve((exited = signal ?? `exit ${code}`))));
  child.once('error', (error) => (exited = error.message));
  // Neither a forgotten stop() nor the pipe should keep a plain node script alive.
  child.unref();
  child.stdin.unref?.();

  const stop = async () => {
    if (exited !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exit;
    clearTimeout(timer);
  };

  for (;;) {
    if (exited !== null) throw new Error(`moto server exited before answering (${exited}); log ${logFile}:\n${tailOf(logFile)}`);
    if (Date.now() - started > timeoutMs) {
      await stop();
      throw new Error(`moto server did not answer ${endpoint}/moto-api/ within ${timeoutMs} ms; log ${logFile}:\n${tailOf(logFile)}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  log(`moto ${endpoint} up in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${child.pid}, log ${logFile})`);

  return { endpoint, logFile, reset: () => resetMoto(endpoint), stop };
}

/**
 * Drops every resource in every service and account of the server at endpoint. The reset is
 * server-wide: suites sharing one server must not run it concurrently.
 * @param {string} endpoint
 * @returns {Promise<void>}
 */
export async function resetMoto(endpoint) {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`POST ${endpoint}/moto-api/reset failed: ${response.status} ${await response.text()}`);
}

/**
 * The server a test file should use: the one globalSetup started (MOTO_ENDPOINT), or, when the
 * file runs without it, its own, with HARNESS_EKS_ENV. stop() only stops a server started here.
 * @param {string} root project root
 * @returns {Promise<MotoServer & { eksEnv: typeof HARNESS_EKS_ENV }>}
 */
export async function connectMoto(root) {
  const shared = process.env.MOTO_ENDPOINT;
  if (shared) {
    const eksEnv = {
      MOTO_EKS_ENDPOINT: process.env.MOTO_EKS_ENDPOINT ?? HARNESS_EKS_ENV.MOTO_EKS_ENDPOINT,
      MOTO_EKS_CA_DATA: process.env.MOTO_EKS_CA_DATA ?? HARNESS_EKS_ENV.MOTO_EKS_CA_DATA,
      MOTO_EKS_ISSUER_TEMPLATE: process.env.MOTO_EKS_ISSUER_TEMPLATE ?? HARNESS_EKS_ENV.MOTO_EKS_ISSUER_TEMPLATE,
    };
    return { endpoint: shared, logFile: '', eksEnv, reset: () => resetMoto(shared), stop: async () => {} };
  }
  await ensureMotoVenv(root);
  return { ...(await startMoto(root, { env: { ...HARNESS_EKS_ENV } })), eksEnv: HARNESS_EKS_ENV };
}
