// kube-apiserver and etcd binaries for integration tests, compiled from Go modules into
// <root>/.harness/bin and rebuilt only when the wrapper module changes.
// Loaded both by plain node (ESM) and by jest, which turns .mjs into CommonJS through swc, so this
// file takes the project root as a parameter and never touches import.meta.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

const MODULE_DIR = 'tests/harness/kube';
/** The binaries `go build ./cmd/...` produces, one per directory under cmd/. */
export const KUBE_BINARIES = Object.freeze(['kube-apiserver', 'etcd']);
/**
 * -trimpath keeps absolute checkout paths out of the binaries and the cache keys, so CI runners
 * with different workspaces share GOCACHE. -buildvcs=false stops Go from stamping git state into
 * the binaries: without it every commit would relink both, and a tree without .git would fail.
 * -dwarf=false (with -s -w at link time) spends no compile time on debug information nobody reads.
 */
const BUILD_FLAGS = Object.freeze(['-trimpath', '-buildvcs=false', '-gcflags=all=-dwarf=false']);

/**
 * Upstream's release build (hack/lib/version.sh) stamps the version with -X; without it the binary
 * reports v0.0.0-master and /version has no major/minor, which clients may read. Taken from go.mod
 * so it cannot drift from the source actually compiled.
 */
function versionLdflags(moduleDir) {
  const match = /^\s*k8s\.io\/kubernetes (v(\d+)\.(\d+)\.\d+)\s*$/m.exec(readFileSync(join(moduleDir, 'go.mod'), 'utf8'));
  if (!match) throw new Error(`no k8s.io/kubernetes requirement in ${join(moduleDir, 'go.mod')}`);
  const [, gitVersion, gitMajor, gitMinor] = match;
  const vars = { gitVersion, gitMajor, gitMinor, gitTreeState: 'clean' };
  const packages = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'];
  // -s -w leave out the symbol table and DWARF: nobody debugs the harness binaries, and writing
  // DWARF for kube-apiserver is a large part of its link time.
  return `-ldflags=-s -w ${packages.flatMap((pkg) => Object.entries(vars).map(([key, value]) => `-X ${pkg}.${key}=${value}`)).join(' ')}`;
}

/**
 * npm test runs the integration files that do not need the API server while the cold build still
 * runs, with this variable set; the files that do declare NEEDS_KUBE_PRAGMA in their first comment
 * and run after the build. A file that reaches the harness without declaring it fails at once, on
 * warm runs too, instead of racing the build.
 */
export const KUBE_BUILD_PENDING_ENV = 'KUBE_HARNESS_BUILD_PENDING';
export const NEEDS_KUBE_PRAGMA = '@needs kube-apiserver';

/** Throws when called from a test file that runs before the build because it did not declare it needs it. */
export function assertKubeHarnessAvailable() {
  if (process.env[KUBE_BUILD_PENDING_ENV]) {
    throw new Error(
      `this test uses the kube-apiserver harness but runs while npm test still builds it: ` +
        `put "${NEEDS_KUBE_PRAGMA}" in the test file's first /** */ comment so that it runs after the build`,
    );
  }
}

const log = (message) => process.stderr.write(`[kube harness] ${message}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Paths of the harness inside a project root. */
export function kubePaths(root) {
  const bin = join(root, '.harness/bin');
  return {
    module: join(root, MODULE_DIR),
    bin,
    stamp: join(bin, '.kube-binaries.sha256'),
    // Under .harness so CI can cache one directory and git never sees it.
    gocache: join(root, '.harness/go/cache'),
    gomodcache: join(root, '.harness/go/mod'),
    binary: (name) => join(bin, name),
  };
}

/** The end of a tool's output, short enough for an error message. */
const lastLines = (text, count = 30) =>
  text
    .trim()
    .split('\n')
    .slice(-count)
    .map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line))
    .join('\n');

/** Runs a command to completion; resolves with its combined output or rejects naming the step. */
function run(step, command, args, { cwd, env, onLine } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk) => {
      const text = chunk.toString();
      output += text;
      if (onLine) for (const line of text.split('\n')) if (line.trim()) onLine(line);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error) => reject(new Error(`${step} failed: ${error.message}`, { cause: error })));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(output);
      reject(new Error(`${step} failed (${signal ?? `exit ${code}`}):\n${lastLines(output)}`));
    });
  });
}

/** Every file whose content decides the binaries: the module files and the Go sources under cmd/. */
function sourceFiles(moduleDir) {
  const files = ['go.mod', 'go.sum'].map((name) => join(moduleDir, name));
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.go')) files.push(path);
    }
  };
  walk(join(moduleDir, 'cmd'));
  return files;
}

/**
 * The stamp covers sources, flags and the Go version: a toolchain upgrade changes the binaries as
 * surely as a go.mod edit does, and Go's own cache would rebuild anyway.
 */
function inputsHash(moduleDir, goVersion, flags) {
  const hash = createHash('sha256').update(`${goVersion}\n${flags.join(' ')}\nCGO_ENABLED=0\n`);
  for (const file of sourceFiles(moduleDir)) {
    hash.update(`${relative(moduleDir, file)}\n`).update(readFileSync(file));
  }
  return hash.digest('hex');
}

/**
 * Builds `<root>/.harness/bin/{kube-apiserver,etcd}` unless both exist and were built from the
 * current go.mod, go.sum and cmd/ sources. A cold build compiles ~2,000 packages (many minutes on
 * two cores); with a warm GOCACHE it only relinks.
 * @param {string} root project root
 * @param {{ go?: string }} [options] `go` defaults to $KUBE_HARNESS_GO, then `go` on PATH
 * @returns {Promise<{ kubeApiserver: string, etcd: string, built: boolean, elapsedMs: number }>}
 */
export async function ensureKubeBinaries(root, { go = process.env.KUBE_HARNESS_GO || 'go' } = {}) {
  assertKubeHarnessAvailable();
  const p = kubePaths(root);
  const started = Date.now();
  const result = (built) => ({
    kubeApiserver: p.binary('kube-apiserver'),
    etcd: p.binary('etcd'),
    built,
    elapsedMs: Date.now() - started,
  });

  const env = {
    ...process.env,
    CGO_ENABLED: '0',
    GOCACHE: p.gocache,
    GOMODCACHE: p.gomodcache,
  };
  const goVersion = (
    await run('go version (Go 1.25 or newer must be on PATH, or set KUBE_HARNESS_GO)', go, ['version'], { cwd: p.module, env })
  ).trim();
  const flags = [...BUILD_FLAGS, versionLdflags(p.module)];
  const wanted = inputsHash(p.module, goVersion, flags);
  const present = KUBE_BINARIES.every((name) => existsSync(p.binary(name)));
  if (present && existsSync(p.stamp) && readFileSync(p.stamp, 'utf8').trim() === wanted) return result(false);

  mkdirSync(p.bin, { recursive: true });
  // Build into a private directory and rename into place: two jest workers may build at once, and
  // a half-written binary must never be visible under its final name.
  const staging = mkdtempSync(join(p.bin, '.build-'));
  const cold = !existsSync(p.gocache);
  log(
    `building ${KUBE_BINARIES.join(' + ')} with ${goVersion} into ${p.bin} ` +
      `(${cold ? 'cold cache: about 7 min on 2 cores' : 'warm cache: usually under a minute'})`,
  );
  let compiled = 0;
  const heartbeat = setInterval(() => log(`still building: ${compiled} packages compiled, ${seconds(Date.now() - started)}`), 30_000);
  try {
    // -v names each package as it is compiled (cached ones stay silent): the only progress Go gives.
    await run(`go build ./cmd/... (module ${p.module})`, go, ['build', ...flags, '-v', '-o', `${staging}/`, './cmd/...'], {
      cwd: p.module,
      env,
      onLine: () => (compiled += 1),
    });
    for (const name of KUBE_BINARIES) {
      if (!existsSync(join(staging, name))) throw new Error(`go build ./cmd/... produced no ${name} in ${staging}`);
      renameSync(join(staging, name), p.binary(name));
    }
    writeFileSync(p.stamp, `${wanted}\n`);
  } finally {
    clearInterval(heartbeat);
    rmSync(staging, { recursive: true, force: true });
  }
  const sizes = KUBE_BINARIES.map((name) => `${name} ${(statSync(p.binary(name)).size / 2 ** 20).toFixed(0)} MiB`).join(', ');
  log(`built in ${seconds(Date.now() - started)} (${compiled} packages compiled; ${sizes})`);
  return result(true);
}

/**
 * Starts `ensureKubeBinaries(root)` in a child process at the lowest CPU priority, so that it soaks
 * up the CPU whatever runs meanwhile leaves idle; the Go compilers inherit the priority. The child
 * leads its own process group, so that stopping it stops the compilers too.
 * `done` resolves with whether the binaries were built (or were already current).
 * @param {string} root project root
 */
export function spawnKubeBuild(root) {
  const module = pathToFileURL(join(root, MODULE_DIR, 'build.mjs')).href;
  const script = `import(${JSON.stringify(module)}).then((m) => m.ensureKubeBinaries(${JSON.stringify(root)}))`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    stdio: 'inherit',
    detached: true,
    env: process.env,
  });
  setPriority(child.pid, 19);
  const done = new Promise((resolve) => child.on('exit', (code) => resolve(code === 0)));
  return { done, stop: () => child.exitCode === null && killGroup(child.pid) };
}

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    // Already gone.
  }
}
