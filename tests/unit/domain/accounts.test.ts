import { accountAccess, clusterAccess, hubAccountOf, provisionerRoleArns } from '../../../src/domain/accounts';
import { BrokerConfigSchema, type BrokerConfigInput } from '../../../src/domain/brokerConfig';

const HUB = '111122223333';
const SPOKE = '444455556666';
const OTHER = '777788889999';

function config(overrides: Partial<BrokerConfigInput> = {}) {
  return BrokerConfigSchema.parse({
    hubAccountId: HUB,
    permissionsBoundaryArn: `arn:aws:iam::${HUB}:policy/irsa-broker-boundary`,
    clusters: [
      { name: 'dev', region: 'eu-west-1', accountId: HUB },
      { name: 'prod', region: 'eu-west-1', accountId: SPOKE, permissionsBoundaryArn: `arn:aws:iam::${SPOKE}:policy/b` },
      { name: 'prod-us', region: 'us-east-1', accountId: SPOKE, permissionsBoundaryArn: `arn:aws:iam::${SPOKE}:policy/b` },
      { name: 'data', region: 'eu-west-1', accountId: OTHER, permissionsBoundaryArn: `arn:aws:iam::${OTHER}:policy/b` },
    ],
    ...overrides,
  });
}

describe('hubAccountOf', () => {
  it('is the configured hub account', () => {
    expect(hubAccountOf(config())).toBe(HUB);
  });

  it('is the one account all clusters share when none is configured', () => {
    // Arrange
    const single = BrokerConfigSchema.parse({
      permissionsBoundaryArn: `arn:aws:iam::${SPOKE}:policy/b`,
      clusters: [{ name: 'prod', region: 'eu-west-1', accountId: SPOKE }],
    });

    // Act
    const hub = hubAccountOf(single);

    // Assert
    expect(hub).toBe(SPOKE);
  });
});

describe('accountAccess', () => {
  it("uses the broker's own credentials in the hub's account", () => {
    expect(clusterAccess(config(), { accountId: HUB })).toEqual({ accountId: HUB, kind: 'hub' });
  });

  it("assumes the default provisioner role under the broker's role path in a spoke", () => {
    expect(accountAccess(config({ rolePath: '/platform/irsa/' }), SPOKE)).toEqual({
      accountId: SPOKE,
      kind: 'provisioner',
      roleArn: `arn:aws:iam::${SPOKE}:role/platform/irsa/irsa-broker-provisioner`,
    });
  });

  it('uses the configured provisioner role and external id', () => {
    // Arrange
    const accounts = { [SPOKE]: { provisionerRoleArn: `arn:aws:iam::${SPOKE}:role/ops/broker`, externalId: 'prod-secret-id' } };

    // Act
    const access = accountAccess(config({ accounts }), SPOKE);

    // Assert
    expect(access).toEqual({
      accountId: SPOKE,
      kind: 'provisioner',
      roleArn: `arn:aws:iam::${SPOKE}:role/ops/broker`,
      externalId: 'prod-secret-id',
    });
  });

  it("assumes a provisioner role in the hub's own account when config lists the hub", () => {
    expect(accountAccess(config({ accounts: { [HUB]: {} } }), HUB)).toMatchObject({
      kind: 'provisioner',
      roleArn: `arn:aws:iam::${HUB}:role/irsa-broker/irsa-broker-provisioner`,
    });
  });

  it("names the role in the clusters' partition", () => {
    // Arrange
    const china = BrokerConfigSchema.parse({
      hubAccountId: HUB,
      permissionsBoundaryArn: `arn:aws-cn:iam::${HUB}:policy/b`,
      clusters: [
        { name: 'bj', region: 'cn-north-1', partition: 'aws-cn', accountId: HUB },
        {
          name: 'nx',
          region: 'cn-northwest-1',
          partition: 'aws-cn',
          accountId: SPOKE,
          permissionsBoundaryArn: `arn:aws-cn:iam::${SPOKE}:policy/b`,
        },
      ],
    });

    // Act
    const access = accountAccess(china, SPOKE);

    // Assert
    expect(access).toMatchObject({ roleArn: `arn:aws-cn:iam::${SPOKE}:role/irsa-broker/irsa-broker-provisioner` });
  });
});

describe('provisionerRoleArns', () => {
  it('lists each spoke account’s role once, sorted, and nothing for the hub', () => {
    expect(provisionerRoleArns(config())).toEqual([
      `arn:aws:iam::${SPOKE}:role/irsa-broker/irsa-broker-provisioner`,
      `arn:aws:iam::${OTHER}:role/irsa-broker/irsa-broker-provisioner`,
    ]);
  });

  it('is empty when every cluster is in the hub account', () => {
    // Arrange
    const single = config({ clusters: [{ name: 'dev', region: 'eu-west-1', accountId: HUB }] });

    // Act
    const roles = provisionerRoleArns(single);

    // Assert
    expect(roles).toEqual([]);
  });
});
