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
      contents: "export { parseBrokerConfig } from './src/config'; export { provisionerRoleArns } from './src/domain/accounts';",
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

/** The ARNs of every provisioner role the configured clusters need, sorted. */
function provisionerRoleArns(configPath = process.env.IRSA_BROKER_CONFIG || 'config/broker.yaml') {
  const path = resolve(root, configPath);
  const domain = loadDomain();
  return domain.provisionerRoleArns(domain.parseBrokerConfig(readFileSync(path, 'utf8'), configPath));
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

module.exports = { assumeProvisionerRoles, provisionerRoleArns };
