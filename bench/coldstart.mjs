// bench/coldstart: per function, bundle size and median cold-start cost against a minimal handler
// that loads the same AWS SDK clients. Bundles are built with the esbuild options of serverless.yml.
// Usage: node bench/coldstart.mjs [--runs N]
import '../scripts/lambdaNode.mjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { readServiceDefinition } from '../scripts/serviceDefinition.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench/.out/coldstart');
const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 21;

const service = readServiceDefinition(root);
const options = service.custom.esbuild;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Loads a bundle in a fresh node process; returns require time, whole-process time and the SDK clients it loaded. */
function measure(file) {
  const probe = `
    const start = process.hrtime.bigint();
    require(${JSON.stringify(file)});
    const requireMs = Number(process.hrtime.bigint() - start) / 1e6;
    const clients = [...new Set(Object.keys(require.cache).map((p) => (p.match(/@aws-sdk\\/(client-[a-z0-9-]+)/) || [])[1]).filter(Boolean))].sort();
    process.stdout.write(JSON.stringify({ requireMs, clients }));`;
  const started = process.hrtime.bigint();
  const result = JSON.parse(
    execFileSync(process.execPath, ['-e', probe], {
      cwd: root,
      env: { ...process.env, IRSA_BROKER_CONFIG: join(root, 'config/broker.yaml') },
    }).toString(),
  );
  return { ...result, processMs: Number(process.hrtime.bigint() - started) / 1e6 };
}

const summary = (samples) => ({
  requireMs: median(samples.map((s) => s.requireMs)),
  processMs: median(samples.map((s) => s.processMs)),
  clients: samples[0].clients,
});

/**
 * Samples the bundle and its baseline alternately, so that drift on a busy machine (the other core,
 * the page cache) hits both sides alike instead of skewing the ratio.
 */
function samplePair(file, baselineFile) {
  const ours = [];
  const theirs = [];
  for (let run = 0; run < runs; run++) {
    ours.push(measure(file));
    theirs.push(measure(baselineFile));
  }
  return { measured: summary(ours), baseline: summary(theirs) };
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const rows = [];
for (const [name, fn] of Object.entries(service.functions)) {
  const [modulePath] = fn.handler.split(/\.(?=[^.]+$)/);
  const file = join(out, `${name}.js`);
  await build({
    entryPoints: [join(root, `${modulePath}.ts`)],
    outfile: file,
    bundle: options.bundle,
    minify: options.minify,
    target: options.target,
    platform: options.platform,
    format: 'cjs',
    loader: options.loader,
    external: options.exclude,
    logLevel: 'error',
  });
  // The baseline requires the SDK clients this bundle loads at init (one probe run finds them).
  const { clients } = measure(file);
  const baselineFile = join(out, `${name}.baseline.js`);
  writeFileSync(
    baselineFile,
    `${clients.map((client) => `require('@aws-sdk/${client}');`).join('\n')}\nexports.handler = async () => ({ statusCode: 200 });\n`,
  );
  const { measured, baseline } = samplePair(file, baselineFile);
  rows.push({
    function: name,
    'bundle KiB': (statSync(file).size / 1024).toFixed(1),
    'SDK clients at init': measured.clients.join(' ') || 'none',
    'require ms': measured.requireMs.toFixed(1),
    'baseline require ms': baseline.requireMs.toFixed(1),
    'cold start ms': measured.processMs.toFixed(1),
    'baseline cold start ms': baseline.processMs.toFixed(1),
    'cold start ratio': `${(measured.processMs / baseline.processMs).toFixed(2)}x`,
  });
}
console.log(`bench/coldstart: median of ${runs} fresh node processes per bundle (node ${process.version})`);
console.table(rows);
console.log(
  'cold start = node start + require of the bundle, as a Lambda init pays it; baseline = a handler that requires only the same SDK clients.',
);
console.log('target: cold start ratio <= 1.2x; functions that make no AWS call at init load no SDK client.');
