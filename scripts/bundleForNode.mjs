// Bundles a TypeScript entry into one CommonJS file for Lambda's Node, with packages left to
// node_modules: how the benches and the fault matrix run the broker's code in a process of its own.
import { build } from 'esbuild';

/** Writes `outfile` from `entry`; YAML imports become text, as the functions' bundles have them. */
export async function bundleForNode(entry, outfile) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    loader: { '.yaml': 'text' },
    packages: 'external',
    logLevel: 'error',
  });
}
