import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadBrokerConfig } from '../../src/config';
import { provisionerRoleArns } from '../../src/domain/accounts';
import { ensureMotoVenv } from '../harness/moto/setup.mjs';
import { cfnLintErrors } from '../support/cfnLint';

const root = join(__dirname, '../..');
const { assumeProvisionerRoles } = require('../../scripts/provisionerRoles.cjs') as {
  assumeProvisionerRoles: () => { Effect: string; Action: string; Resource: string | string[] };
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[] | Record<string, unknown>;
}
const asList = <Value>(value: Value | Value[]) => (Array.isArray(value) ? value : [value]);
const templatePath = (outDir: string) => join(outDir, 'cloudformation-template-update-stack.json');

/** Every statement of the functions' role in a packaged template. */
function roleStatements(template: { Resources: Record<string, { Type: string; Properties: any }> }): Statement[] {
  const role = Object.values(template.Resources).find((resource) => resource.Type === 'AWS::IAM::Role');
  return role!.Properties.Policies.flatMap((policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement);
}

/** Runs the generator with a config file written for the test. */
function statementFor(configText: string) {
  const dir = mkdtempSync(join(tmpdir(), 'irsa-broker-config-'));
  const previous = process.env.IRSA_BROKER_CONFIG;
  try {
    writeFileSync(join(dir, 'broker.yaml'), configText);
    process.env.IRSA_BROKER_CONFIG = join(dir, 'broker.yaml');
    return assumeProvisionerRoles();
  } finally {
    if (previous === undefined) delete process.env.IRSA_BROKER_CONFIG;
    else process.env.IRSA_BROKER_CONFIG = previous;
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('npx serverless package: the hub role assumes exactly the configured provisioner roles', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'irsa-broker-package-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('works offline and emits the template and one zip per function', () => {
    execFileSync(process.execPath, [join(root, 'node_modules/.bin/serverless'), 'package', '--package', outDir], {
      cwd: root,
      // No credentials and no network beyond loopback: packaging must not need either.
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
      stdio: 'pipe',
    });
    const files = readdirSync(outDir);
    const service = parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), {
      logLevel: 'silent',
      customTags: [{ tag: '!Sub', resolve: (value: string) => value }],
    });
    const functions = Object.keys(service.functions);
    expect(files).toContain('cloudformation-template-update-stack.json');
    expect(files.filter((file) => file.endsWith('.zip')).sort()).toEqual(functions.map((name) => `${name}.zip`).sort());
    const template = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'));
    const lambdas = Object.values(template.Resources as Record<string, { Type: string; Properties: { Runtime?: string } }>).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    );
    expect(lambdas).toHaveLength(functions.length);
    lambdas.forEach((lambda) => expect(lambda.Properties.Runtime).toBe('nodejs22.x'));
  }, 180_000);

  it("lets the functions' role assume exactly the configured provisioner roles, and no role otherwise", () => {
    // Arrange
    const template = JSON.parse(readFileSync(templatePath(outDir), 'utf8'));
    const expected = provisionerRoleArns(loadBrokerConfig({ IRSA_BROKER_CONFIG: join(root, 'config/broker.yaml') }));

    // Act
    const assuming = roleStatements(template).filter((statement) => asList(statement.Action).some((action) => action.startsWith('sts:')));

    // Assert
    // The example lists the hub too: its own clusters are reached through its provisioner role as well.
    expect(expected).toEqual([
      'arn:aws:iam::111122223333:role/irsa-broker/irsa-broker-provisioner',
      'arn:aws:iam::444455556666:role/irsa-broker/irsa-broker-provisioner',
    ]);
    expect(assuming).toHaveLength(1);
    expect(assuming[0]).toMatchObject({ Effect: 'Allow' });
    expect(asList(assuming[0]!.Action)).toEqual(['sts:AssumeRole']);
    expect(asList(assuming[0]!.Resource as string | string[]).sort()).toEqual(expected);
  });

  it('passes cfn-lint with 0 errors', async () => {
    // Arrange
    await ensureMotoVenv(root);

    // Act
    const errors = cfnLintErrors(root, templatePath(outDir));

    // Assert
    expect(errors).toEqual([]);
  }, 120_000);
});

describe('scripts/provisionerRoles.cjs (the AssumeRole statement of serverless.yml)', () => {
  const boundary = (account: string) => `arn:aws:iam::${account}:policy/irsa-broker-boundary`;

  it("follows the config: each spoke's default or configured role, sorted, never the hub's", () => {
    // Arrange
    const config = `
hubAccountId: '111111111111'
rolePath: /platform/
permissionsBoundaryArn: ${boundary('111111111111')}
clusters:
  - { name: hub, region: eu-west-1, accountId: '111111111111' }
  - { name: a, region: eu-west-1, accountId: '333333333333', permissionsBoundaryArn: ${boundary('333333333333')} }
  - { name: a2, region: us-east-1, accountId: '333333333333', permissionsBoundaryArn: ${boundary('333333333333')} }
  - { name: b, region: eu-west-1, accountId: '222222222222', permissionsBoundaryArn: ${boundary('222222222222')} }
accounts:
  '222222222222': { provisionerRoleArn: 'arn:aws:iam::222222222222:role/ops/broker', externalId: xyz-123 }
`;

    // Act
    const statement = statementFor(config);

    // Assert
    expect(statement).toEqual({
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Resource: ['arn:aws:iam::222222222222:role/ops/broker', 'arn:aws:iam::333333333333:role/platform/irsa-broker-provisioner'],
    });
  });

  it('denies every AssumeRole when all clusters are in the hub account', () => {
    // Arrange
    const config = `
permissionsBoundaryArn: ${boundary('111111111111')}
clusters: [{ name: hub, region: eu-west-1, accountId: '111111111111' }]
`;

    // Act
    const statement = statementFor(config);

    // Assert
    expect(statement).toEqual({ Effect: 'Deny', Action: 'sts:AssumeRole', Resource: '*' });
  });

  it('fails packaging with the config error a cold start would give', () => {
    // Arrange
    const config = `
permissionsBoundaryArn: ${boundary('111111111111')}
clusters:
  - { name: hub, region: eu-west-1, accountId: '111111111111' }
  - { name: b, region: eu-west-1, accountId: '222222222222', permissionsBoundaryArn: ${boundary('222222222222')} }
`;

    // Act
    const generate = () => statementFor(config);

    // Assert
    expect(generate).toThrow(/hubAccountId: is required when clusters are in several accounts/);
  });
});
