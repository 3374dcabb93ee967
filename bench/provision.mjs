// bench/provision: AWS calls per fresh grant as a ratio to the minimum, writes on a re-run,
// latency per grant, lost and duplicated grants. Usage: node bench/provision.mjs [--flows N]
import '../scripts/lambdaNode.mjs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../scripts/bundleForNode.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const flowsFlag = process.argv.indexOf('--flows');
const flows = flowsFlag > 0 ? process.argv[flowsFlag + 1] : '200';
const outfile = join(root, 'bench/.out/provision.cjs');
await bundleForNode(join(root, 'bench/provisionRun.ts'), outfile);
const result = spawnSync(process.execPath, [outfile], { stdio: 'inherit', env: { ...process.env, BENCH_ROOT: root, BENCH_FLOWS: flows } });
process.exit(result.status ?? 1);
