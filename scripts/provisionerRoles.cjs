// A serverless.yml variable source: the hub role's sts:AssumeRole statement, computed from the
// broker config by the same domain code the functions run (bundled here on the fly by esbuild), so
// the template can never allow a role the broker would not assume, nor miss one it would, and an
// invalid config fails `serverless package` with the messages a cold start would give.
const { buildSync } = require('esbuild');
const { readFileSync } = require('node:fs');
const Module = require('node:module');
const { join, resolve } = require('node:path');

const root = join(__dirname, '..');

function loadDomain() {
  const { outputFiles } = buildSync({
    stdin: {
      contents:
        "export { parseBrokerConfig } from './src/config'; export { accountAccess, hubAccountOf, provisionerRoleArns } from './src/domain/accounts';",
      resolveDir: root,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  const filename = join(root, 'scripts/.provisionerRoles.bundle.cjs');
  const compiled = new Module(filename);
  compiled.filename = filename;
  compiled.paths = Module._nodeModulePaths(root);
  compiled._compile(outputFiles[0].text, filename);
  return compiled.exports;
}

function loadConfig(configPath) {
  const domain = loadDomain();
  return { domain, config: domain.parseBrokerConfig(readFileSync(resolve(root, configPath), 'utf8'), configPath) };
}

/** The ARNs of every provisioner role the configured clusters need, sorted. */
function provisionerRoleArns(configPath = process.env.IRSA_BROKER_CONFIG || 'config/broker.yaml') {
  const { domain, config } = loadConfig(configPath);
  return domain.provisionerRoleArns(config);
}

/**
 * 'true' when the broker changes IAM in the hub's account with its own role: a cluster is in the hub's
 * account and config does not list the hub under `accounts`. Otherwise every IAM change goes through a
 * provisioner role, and the functions' role holds no IAM write at all (serverless.yml's condition).
 */
function brokerActsInHubAccount() {
  // Called by serverless with its own arguments: the config is always the functions' own.
  const { domain, config } = loadConfig(process.env.IRSA_BROKER_CONFIG || 'config/broker.yaml');
  const hub = domain.hubAccountOf(config);
  const hubHasClusters = config.clusters.some((cluster) => cluster.accountId === hub);
  return String(hubHasClusters && domain.accountAccess(config, hub).kind === 'hub');
}

/**
 * The statement: assume exactly the provisioner roles. With none (every cluster in the hub's
 * account) it is an explicit Deny, because IAM refuses an Allow with no resources.
 */
function assumeProvisionerRoles() {
  const roles = provisionerRoleArns();
  if (roles.length === 0) return { Effect: 'Deny', Action: 'sts:AssumeRole', Resource: '*' };
  return { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: roles };
}

module.exports = { assumeProvisionerRoles, brokerActsInHubAccount, provisionerRoleArns };
