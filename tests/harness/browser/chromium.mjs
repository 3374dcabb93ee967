// Headless Chromium for the browser tests: Debian's `chromium` package, installed with apt-get when
// missing (the machine is root in CI and for developers; no browser is ever downloaded by a test
// tool). Loaded both by plain node (ESM) and by jest (CommonJS through swc): no import.meta here.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/**
 * Flags for this machine: as root Chromium needs --no-sandbox, and with no network beyond the
 * package registries, its background connections (updates, sync, QUIC probes) only fail noisily.
 */
export const CHROMIUM_ARGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]);

const log = (message) => process.stderr.write(`[browser harness] ${message}\n`);

function run(step, command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => reject(new Error(`${step} failed: ${error.message}`, { cause: error })));
    child.on('close', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${step} failed (exit ${code}):\n${output.trim().split('\n').slice(-15).join('\n')}`)),
    );
  });
}

/**
 * The path of a Chromium binary, installing Debian's package first when it is missing.
 * @returns {Promise<string>}
 */
export async function ensureChromium() {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const hint = `the browser tests need Chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`;
  if (process.getuid?.() !== 0) throw new Error(`${hint}; not root, so it cannot be installed here`);
  if (!existsSync('/usr/bin/apt-get')) throw new Error(`${hint}; there is no apt-get on this machine`);
  const started = Date.now();
  log('installing Debian package chromium with apt-get (a minute or two, once)');
  await run('apt-get update', 'apt-get', ['update', '-qq']);
  await run('apt-get install chromium', 'apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium']);
  if (!existsSync(CHROMIUM)) throw new Error(`${hint}; apt-get installed chromium but ${CHROMIUM} is still missing`);
  log(`chromium installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return CHROMIUM;
}
