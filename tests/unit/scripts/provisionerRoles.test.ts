import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { assumeProvisionerRoles } = require('../../../scripts/provisionerRoles.cjs') as {
  assumeProvisionerRoles: () => { Effect: string; Action: string; Resource: string | string[] };
};

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
