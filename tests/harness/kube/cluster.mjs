// A real kube-apiserver + etcd on loopback for integration tests: own CA, EKS-style bearer tokens
// checked by a TokenReview webhook in our test code, RBAC as the only authorizer.
// Loaded both by plain node (ESM) and by jest, which turns .mjs into CommonJS through swc, so this
// file takes the project root as a parameter and never touches import.meta.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureKubeBinaries } from './build.mjs';
import { freePort } from '../../../scripts/freePort.mjs';

const log = (message) => process.stderr.write(`[kube harness] ${message}\n`);
/** How many per-start log directories survive under .harness/logs/kube; older ones are pruned. */
const KEEP_LOG_DIRS = 10;

function openssl(step, args, cwd) {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd }, (error, _stdout, stderr) =>
      error ? reject(new Error(`openssl ${step} failed: ${error.message}\n${stderr}`, { cause: error })) : resolve(),
    );
  });
}

/**
 * CA, serving certificate and service-account keys, made fresh per cluster so nothing secret is
 * committed. ECDSA P-256 keeps generation to milliseconds; the service-account key is RSA because
 * that is what EKS (and most IRSA tooling) issues tokens with.
 */
async function makePki(dir) {
  // Written as command lines (no argument has a space) so each step reads like the openssl docs.
  const ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  const steps = [
    [
      'CA',
      `req -x509 ${ec} -keyout ca.key -out ca.crt -days 2 -subj /CN=irsa-broker-harness-ca -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign`,
    ],
    ['serving key', `req -new ${ec} -keyout apiserver.key -out apiserver.csr -subj /CN=kube-apiserver`],
    [
      'serving certificate',
      'x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile apiserver.ext -out apiserver.crt',
    ],
    ['service-account key', 'genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.key'],
    ['service-account public key', 'pkey -in sa.key -pubout -out sa.pub'],
  ];
  // The SAN is what clients check: 127.0.0.1 because tests dial the IP, localhost for humans with curl.
  writeFileSync(
    join(dir, 'apiserver.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc\n' +
      'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n',
  );
  for (const [step, args] of steps) await openssl(step, args.split(' '), dir);
}

/** The kubeconfig kube-apiserver reads to find the TokenReview webhook (JSON is valid kubeconfig YAML). */
function webhookKubeconfig(webhookUrl) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'eks-token-webhook', cluster: { server: webhookUrl } }],
    users: [{ name: 'kube-apiserver', user: {} }],
    contexts: [{ name: 'webhook', context: { cluster: 'eks-token-webhook', user: 'kube-apiserver' } }],
    'current-context': 'webhook',
  });
}

/** Last lines of a log file, for error messages. */
function tail(file, count = 25) {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-count).join('\n');
  } catch {
    return '(no log)';
  }
}

/** One log directory per start, so parallel clusters never interleave; the newest few are kept. */
function makeLogDir(root, name) {
  const base = join(root, '.harness/logs/kube');
  mkdirSync(base, { recursive: true });
  const stale = readdirSync(base)
    .sort()
    .slice(0, -(KEEP_LOG_DIRS - 1));
  for (const entry of stale) rmSync(join(base, entry), { recursive: true, force: true });
  const dir = join(base, `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Kills our children if this process dies without calling stop() (a crashed or killed jest worker):
 * orphaned apiservers would hold ports and memory until the machine is recycled. Polls the parent's
 * pid and kills exactly the pids listed in the file, then removes the temp dir.
 */
function startWatchdog(pidFile, tempDir) {
  const script =
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill $(cat "$2") 2>/dev/null; sleep 5; kill -9 $(cat "$2") 2>/dev/null; rm -rf "$3"';
  const watchdog = spawn('/bin/sh', ['-c', script, 'kube-harness-watchdog', String(process.pid), pidFile, tempDir], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  return watchdog;
}

/** Starts a binary with stdout+stderr appended to its own log file. */
function startProcess(binary, args, logFile, pidFile) {
  const fd = openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  if (child.pid) writeFileSync(pidFile, `${readFileSync(pidFile, 'utf8')}${child.pid}\n`);
  return child;
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
async function stopProcess(child, graceMs = 10_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/**
 * One HTTPS request to the API server, trusting only the cluster's CA. Plain node:https because
 * fetch cannot take a CA without an undici dispatcher, and undici is not a direct dependency.
 * @param {{ endpoint: string, caPem: string }} cluster
 * @param {string} method
 * @param {string} path e.g. /api/v1/namespaces
 * @param {{ token?: string, body?: unknown, contentType?: string }} [options]
 * @returns {Promise<{ status: number, body: any, text: string }>}
 */
export function kubeRequest(cluster, method, path, { token, body, contentType = 'application/json' } = {}) {
  const url = new URL(path, cluster.endpoint);
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (payload !== undefined) headers['content-type'] = contentType;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method, headers, ca: cluster.caPem, timeout: 30_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        let parsed;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        resolve({ status: res.statusCode, body: parsed, text });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Polls until check() resolves true; rejects with the log tail when the process dies or time runs out. */
async function waitUntil(what, check, { timeoutMs, child, logFile }) {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what}: the process exited (${child.signalCode ?? `exit ${child.exitCode}`}); log ${logFile}:\n${tail(logFile)}`);
    }
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error.message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what}: not ready after ${timeoutMs / 1000} s (${lastError || 'no answer'}); log ${logFile}:\n${tail(logFile)}`);
}

/** etcd's /health over plain http: the client URL is loopback-only and never leaves the machine. */
function etcdHealthy(clientUrl) {
  return new Promise((resolve, reject) => {
    const req = httpGet(`${clientUrl}/health`, { timeout: 2_000 }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve(res.statusCode === 200 && /"health":\s*"true"/.test(text)));
    });
    req.on('timeout', () => req.destroy(new Error('etcd /health timed out')));
    req.on('error', reject);
  });
}

/**
 * Starts etcd and kube-apiserver on free loopback ports and waits for /readyz.
 *
 * There is no controller-manager: namespaces are never finalized (a deleted one stays Terminating),
 * and no default ServiceAccount appears in a new namespace (the tokens controller is gone too).
 * Tests create the namespaces they use, with fresh names.
 *
 * @param {string} root project root (binaries and logs live under <root>/.harness)
 * @param {object} options
 * @param {string} options.webhookUrl TokenReview webhook (see eksTokenWebhook.ts) for every non-admin bearer token
 * @param {string} [options.clusterName] names the log directory and the default issuer
 * @param {string} [options.serviceAccountIssuer] defaults to the moto harness's issuer template for clusterName
 * @param {number} [options.readyTimeoutMs] default 120 s; the first start after a build pages in ~150 MB
 * @param {string[]} [options.extraApiserverArgs] appended last, so they override ours
 * @returns {Promise<{ endpoint: string, caData: string, caPem: string, adminToken: string,
 *   serviceAccountIssuer: string, logDir: string, startupMs: number, stop: () => Promise<void> }>}
 */
export async function startKubeCluster(root, options) {
  const { webhookUrl, clusterName = 'harness', readyTimeoutMs = 120_000, extraApiserverArgs = [] } = options ?? {};
  if (!webhookUrl) throw new Error('startKubeCluster needs options.webhookUrl (start the EKS token webhook first)');
  const serviceAccountIssuer = options.serviceAccountIssuer ?? `https://oidc.harness.local/id/${clusterName}`;
  const binaries = await ensureKubeBinaries(root);

  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'irsa-kube-'));
  const logDir = makeLogDir(root, clusterName.replace(/[^A-Za-z0-9-]/g, '_'));
  const pidFile = join(dir, 'pids');
  writeFileSync(pidFile, '');
  const watchdog = startWatchdog(pidFile, dir);
  let etcd;
  let apiserver;

  const stop = async () => {
    // apiserver first: stopping etcd under it turns a clean shutdown into a storm of retries.
    await stopProcess(apiserver);
    await stopProcess(etcd);
    try {
      process.kill(watchdog.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await makePki(dir);
    const adminToken = randomBytes(24).toString('hex');
    // system:masters short-circuits the RBAC authorizer: the admin can set up RBAC for everyone else.
    writeFileSync(join(dir, 'tokens.csv'), `${adminToken},harness-admin,harness-admin,"system:masters"\n`);
    writeFileSync(join(dir, 'webhook.kubeconfig'), webhookKubeconfig(webhookUrl));

    /** Starts etcd and the API server on fresh ports; resolves with the endpoint once /readyz answers. */
    const startServers = async () => {
      const [etcdClientPort, etcdPeerPort, securePort] = [await freePort(), await freePort(), await freePort()];
      const etcdClientUrl = `http://127.0.0.1:${etcdClientPort}`;
      const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
      const etcdLog = join(logDir, 'etcd.log');
      etcd = startProcess(
        binaries.etcd,
        [
          '--name=harness',
          `--data-dir=${join(dir, 'etcd')}`,
          `--listen-client-urls=${etcdClientUrl}`,
          `--advertise-client-urls=${etcdClientUrl}`,
          `--listen-peer-urls=${etcdPeerUrl}`,
          `--initial-advertise-peer-urls=${etcdPeerUrl}`,
          `--initial-cluster=harness=${etcdPeerUrl}`,
          // Test data is thrown away with the temp dir; fsync on every write only makes CI slower.
          '--unsafe-no-fsync',
          '--log-level=warn',
        ],
        etcdLog,
        pidFile,
      );
      await waitUntil('etcd', () => etcdHealthy(etcdClientUrl), { timeoutMs: 30_000, child: etcd, logFile: etcdLog });

      const apiserverLog = join(logDir, 'kube-apiserver.log');
      apiserver = startProcess(
        binaries.kubeApiserver,
        [
          `--etcd-servers=${etcdClientUrl}`,
          '--bind-address=127.0.0.1',
          // Without it the apiserver looks for a routable interface and fails on machines with none.
          '--advertise-address=127.0.0.1',
          `--secure-port=${securePort}`,
          `--cert-dir=${join(dir, 'certs')}`,
          `--tls-cert-file=${join(dir, 'apiserver.crt')}`,
          `--tls-private-key-file=${join(dir, 'apiserver.key')}`,
          `--service-account-issuer=${serviceAccountIssuer}`,
          `--service-account-key-file=${join(dir, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
          '--service-cluster-ip-range=10.0.0.0/24',
          '--authorization-mode=RBAC',
          `--token-auth-file=${join(dir, 'tokens.csv')}`,
          `--authentication-token-webhook-config-file=${join(dir, 'webhook.kubeconfig')}`,
          '--authentication-token-webhook-version=v1',
          // Short, so a test that changes the webhook's keys or mappings sees the change quickly. Note
          // kube-apiserver 1.34 also caches successes for 10 s in front of every token authenticator
          // (TokenSuccessCacheTTL, no flag; it logs a warning about this 1s): failures are never cached.
          '--authentication-token-webhook-cache-ttl=1s',
          '--profiling=false',
          ...extraApiserverArgs,
        ],
        apiserverLog,
        pidFile,
      );
      const endpoint = `https://127.0.0.1:${securePort}`;
      const caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
      // /readyz covers etcd, the RBAC bootstrap roles and every post-start hook: after it, RBAC works.
      await waitUntil(
        'kube-apiserver /readyz',
        async () => (await kubeRequest({ endpoint, caPem }, 'GET', '/readyz', { token: adminToken })).status === 200,
        {
          timeoutMs: readyTimeoutMs,
          child: apiserver,
          logFile: apiserverLog,
        },
      );
      return endpoint;
    };
    let endpoint;
    for (let attempt = 1; !endpoint; attempt += 1) {
      try {
        endpoint = await startServers();
      } catch (error) {
        await stopProcess(apiserver);
        await stopProcess(etcd);
        // freePort picks outside the ephemeral range, yet another process can still take a port
        // between the pick and the bind; anything else is a real failure.
        if (attempt === 3 || !/address already in use/.test(error.message)) throw error;
        log(`a port was taken before etcd or kube-apiserver bound it (attempt ${attempt}); starting again on other ports`);
        rmSync(join(dir, 'etcd'), { recursive: true, force: true });
      }
    }
    const caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
    const startupMs = Date.now() - started;
    log(`kube-apiserver ready at ${endpoint} in ${(startupMs / 1000).toFixed(1)} s (logs ${logDir})`);
    return {
      endpoint,
      // EKS DescribeCluster returns certificateAuthority.data as base64 of the PEM; so do we.
      caData: Buffer.from(caPem).toString('base64'),
      caPem,
      adminToken,
      serviceAccountIssuer,
      logDir,
      startupMs,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
