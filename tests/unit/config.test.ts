import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerConfigError, parseBrokerConfig } from '../../src/config';

const REPO_CONFIG = join(__dirname, '../../config/broker.yaml');

const MINIMAL = [
  'clusters:',
  '  - name: dev',
  '    region: eu-west-1',
  "    accountId: '111122223333'",
  'permissionsBoundaryArn: arn:aws:iam::111122223333:policy/irsa-broker-boundary',
  '',
].join('\n');

/** The error parseBrokerConfig throws, or a failure when it throws none. */
function configErrorOf(text: string, source = 'test.yaml'): BrokerConfigError {
  try {
    parseBrokerConfig(text, source);
  } catch (error) {
    if (error instanceof BrokerConfigError) return error;
    throw error;
  }
  throw new Error('expected parseBrokerConfig to refuse the config');
}

/** A fresh copy of src/config, as a cold start would load it. */
function freshConfigModule(): typeof import('../../src/config') {
  let module!: typeof import('../../src/config');
  jest.isolateModules(() => {
    module = require('../../src/config');
  });
  return module;
}

describe('parseBrokerConfig', () => {
  it('parses the config/broker.yaml shipped in the repository', () => {
    // Arrange
    const text = readFileSync(REPO_CONFIG, 'utf8');

    // Act
    const config = parseBrokerConfig(text, REPO_CONFIG);

    // Assert
    expect(config.clusters.map((cluster) => cluster.name)).toEqual(['dev', 'prod']);
    expect(config.clusters.every((cluster) => cluster.oidcIssuer?.startsWith('https://'))).toBe(true);
    expect(config.approvalRules.map((rule) => rule.id)).toEqual(['payments', 'platform']);
  });

  it('parses a minimal config and fills the defaults', () => {
    // Arrange
    const text = MINIMAL;

    // Act
    const config = parseBrokerConfig(text, 'minimal.yaml');

    // Assert
    expect(config.rolePath).toBe('/irsa-broker/');
    expect(config.clusters[0]?.partition).toBe('aws');
  });

  it('says which file is not valid YAML', () => {
    // Arrange
    const text = 'clusters: [dev\n';

    // Act
    const error = configErrorOf(text, 'broken.yaml');

    // Assert
    expect(error.name).toBe('BrokerConfigError');
    expect(error.message).toMatch(/^broker config broken\.yaml is not valid YAML: /);
    expect(error.cause).toBeDefined();
  });

  it('names every offending field with its reason', () => {
    // Arrange
    const text = MINIMAL.replace('eu-west-1', 'Ireland').replace("'111122223333'", "'12'");

    // Act
    const error = configErrorOf(text, 'bad.yaml');

    // Assert
    expect(error.message).toBe(
      'broker config bad.yaml is invalid: clusters.0.region: must be an AWS region such as eu-west-1; clusters.0.accountId: must be 12 digits',
    );
  });

  it('names the root when the file holds no mapping', () => {
    // Arrange
    const text = '';

    // Act
    const error = configErrorOf(text, 'empty.yaml');

    // Assert
    expect(error.message).toMatch(/^broker config empty\.yaml is invalid: \(root\): /);
  });

  it('names a missing required field', () => {
    // Arrange
    const text = MINIMAL.replace(/^permissionsBoundaryArn:.*$/m, '');

    // Act
    const error = configErrorOf(text);

    // Assert
    expect(error.message).toContain('permissionsBoundaryArn: ');
  });

  it('names a cluster whose boundary is in another partition', () => {
    // Arrange
    const text = MINIMAL.replace('eu-west-1', 'cn-north-1').replace('    accountId', '    partition: aws-cn\n    accountId');

    // Act
    const error = configErrorOf(text);

    // Assert
    expect(error.message).toContain(
      "clusters.0.permissionsBoundaryArn: the permissions boundary arn:aws:iam::111122223333:policy/irsa-broker-boundary is not in the cluster's partition aws-cn",
    );
  });

  it('names an extra tag with a reserved prefix', () => {
    // Arrange
    const text = `${MINIMAL}extraTags:\n  irsa-broker:owner: me\n`;

    // Act
    const error = configErrorOf(text);

    // Assert
    expect(error.message).toContain('extraTags.irsa-broker:owner: ');
  });
});

describe('loadBrokerConfig', () => {
  it('reads the file IRSA_BROKER_CONFIG names', () => {
    // Arrange
    const { loadBrokerConfig } = freshConfigModule();

    // Act
    const config = loadBrokerConfig({ IRSA_BROKER_CONFIG: REPO_CONFIG });

    // Assert
    expect(config.clusters.map((cluster) => cluster.name)).toEqual(['dev', 'prod']);
  });

  it('fails at cold start, naming the path, when the file cannot be read', () => {
    // Arrange
    const { loadBrokerConfig, BrokerConfigError: FreshBrokerConfigError } = freshConfigModule();
    const missing = join(__dirname, 'no-such-broker.yaml');

    // Act
    const load = () => loadBrokerConfig({ IRSA_BROKER_CONFIG: missing });

    // Assert
    expect(load).toThrow(FreshBrokerConfigError);
    expect(load).toThrow(`cannot read broker config ${missing}: `);
  });

  it('reads the file once per cold start', () => {
    // Arrange
    const { loadBrokerConfig } = freshConfigModule();
    const first = loadBrokerConfig({ IRSA_BROKER_CONFIG: REPO_CONFIG });

    // Act
    const second = loadBrokerConfig({ IRSA_BROKER_CONFIG: join(__dirname, 'no-such-broker.yaml') });

    // Assert
    expect(second).toBe(first);
  });
});
