// bench/reconcile: IAM calls of a reconcile pass per grant, as a ratio to the per-grant reads it
// replaced; time per 1,000 grants; a pass cut short by its budget and the one that covers the rest.
// Usage: node bench/reconcile.mjs [--grants N]
import '../scripts/lambdaNode.mjs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../scripts/bundleForNode.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const grantsFlag = process.argv.indexOf('--grants');
const grants = grantsFlag > 0 ? process.argv[grantsFlag + 1] : '1000';
const outfile = join(root, 'bench/.out/reconcile.cjs');
await bundleForNode(join(root, 'bench/reconcileRun.ts'), outfile);
const result = spawnSync(process.execPath, [outfile], {
  stdio: 'inherit',
  env: { ...process.env, BENCH_ROOT: root, BENCH_GRANTS: grants },
});
process.exit(result.status ?? 1);
