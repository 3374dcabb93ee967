// The broker config of `npm start`: the deployable file (config/broker.yaml, or $IRSA_BROKER_CONFIG)
// with config/local.yaml merged over it, written where the local functions read it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Objects merge key by key; anything else (lists included) in `overlay` replaces what `base` has. */
export function mergeConfig(base, overlay) {
  if (!isObject(base) || !isObject(overlay)) return overlay === undefined ? base : overlay;
  const merged = { ...base };
  for (const [key, value] of Object.entries(overlay)) merged[key] = mergeConfig(base[key], value);
  return merged;
}

/**
 * The effective local config, as data.
 * @param {{ root: string, base?: string, issuersFromEmulator: boolean, applyAvailable: boolean }} options
 *   issuersFromEmulator: drop configured issuers, so plans trust what the emulator's DescribeCluster
 *   reports (an emulator we did not start cannot be told the configured ones);
 *   applyAvailable: whether a local API server is there for `delivery: apply`
 */
export function makeLocalConfig({ root, base, issuersFromEmulator, applyAvailable }) {
  const basePath = base || join(root, 'config/broker.yaml');
  const overlayPath = join(root, 'config/local.yaml');
  const config = mergeConfig(parse(readFileSync(basePath, 'utf8')), parse(readFileSync(overlayPath, 'utf8')) ?? {});
  if (issuersFromEmulator) config.clusters = config.clusters.map(({ oidcIssuer: _issuer, ...cluster }) => cluster);
  // Locally the broker acts in the emulator's hub account with its own keys: the local API server's
  // token webhook knows those, not the keys of a provisioner role assumed in the emulator. A hub listed
  // under `accounts` (as a deployment should list it) is therefore reached directly here.
  if (config.accounts && config.hubAccountId) delete config.accounts[config.hubAccountId];
  // Without an API server a request for `apply` is refused at submission, not failed at provisioning.
  if (!applyAvailable && config.delivery) config.delivery.allowApply = false;
  // Nor is there a cluster to mint the pod's token: a check after each grant could only fail (K8S_UNREACHABLE).
  if (!applyAvailable) config.verification = { ...config.verification, afterProvisioning: false };
  return { config, sources: [basePath, overlayPath] };
}

/** Writes a config made by makeLocalConfig where the local functions read it. */
export function writeLocalConfig(out, { config, sources }) {
  writeFileSync(out, `# Written by npm start from ${sources.join(' and ')}; edit those, not this.\n${stringify(config, { lineWidth: 0 })}`);
  return out;
}
