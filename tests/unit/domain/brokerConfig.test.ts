import { BrokerConfigSchema, bucketAccountOf, findCluster, type BrokerConfigInput } from '../../../src/domain/brokerConfig';
import { describeIssues } from '../../../src/domain/parseInput';
import { makeTestConfig } from '../../support/brokerConfig';

const BOUNDARY = 'arn:aws:iam::111122223333:policy/irsa-broker-boundary';

function dev(overrides: Record<string, unknown> = {}) {
  return { name: 'dev', region: 'eu-west-1', accountId: '111122223333', ...overrides };
}

function configInput(overrides: Record<string, unknown> = {}): BrokerConfigInput {
  return { clusters: [dev()], permissionsBoundaryArn: BOUNDARY, ...overrides } as BrokerConfigInput;
}

/** The dotted paths of every issue a config raises; empty when it is valid. */
function issuePaths(input: unknown): string[] {
  const result = BrokerConfigSchema.safeParse(input);
  return result.success ? [] : describeIssues(result.error).map((issue) => issue.path);
}

function issueMessages(input: unknown): string[] {
  const result = BrokerConfigSchema.safeParse(input);
  return result.success ? [] : describeIssues(result.error).map((issue) => issue.message);
}

describe('BrokerConfigSchema', () => {
  it('fills the documented defaults around a minimal config', () => {
    // Arrange
    const input = configInput();

    // Act
    const config = BrokerConfigSchema.parse(input);

    // Assert
    expect(config).toMatchObject({
      rolePath: '/irsa-broker/',
      roleNamePrefix: 'irsa-',
      maxSessionDurationSeconds: 3600,
      extraTags: {},
      allowedManagedPolicyArns: [],
      allowSubjectPatterns: false,
      trustPolicySizeLimit: 2048,
      approvalRules: [],
      provisioning: { enabled: false, createOidcProvider: false, repairDrift: false },
    });
    expect(config.clusters[0]?.partition).toBe('aws');
  });

  it.each(['aws', 'aws-cn', 'aws-us-gov'] as const)('accepts the %s test config', (partition) => {
    // Arrange
    const build = () => makeTestConfig({}, partition);

    // Act
    const config = build();

    // Assert
    expect(config.clusters.every((cluster) => cluster.partition === partition)).toBe(true);
  });

  it.each([
    ['clusters', configInput({ clusters: [] })],
    ['clusters.0.name', configInput({ clusters: [dev({ name: 'dev.prod' })] })],
    ['clusters.0.region', configInput({ clusters: [dev({ region: 'Ireland' })] })],
    ['clusters.0.accountId', configInput({ clusters: [dev({ accountId: '1111' })] })],
    ['clusters.0.partition', configInput({ clusters: [dev({ partition: 'aws-eu' })] })],
    ['clusters.0.oidcIssuer', configInput({ clusters: [dev({ oidcIssuer: 'http://oidc.example.com/id/X' })] })],
    ['clusters.0.oidcIssuer', configInput({ clusters: [dev({ oidcIssuer: 'https://oidc.example.com/id/X/' })] })],
    ['permissionsBoundaryArn', { clusters: [dev()] }],
    ['permissionsBoundaryArn', configInput({ permissionsBoundaryArn: 'arn:aws:iam::111122223333:role/boundary' })],
    ['rolePath', configInput({ rolePath: 'irsa-broker' })],
    ['rolePath', configInput({ rolePath: '/irsa broker/' })],
    ['roleNamePrefix', configInput({ roleNamePrefix: 'p'.repeat(25) })],
    ['roleNamePrefix', configInput({ roleNamePrefix: 'irsa/' })],
    ['maxSessionDurationSeconds', configInput({ maxSessionDurationSeconds: 60 })],
    ['trustPolicySizeLimit', configInput({ trustPolicySizeLimit: 8192 })],
    ['allowedManagedPolicyArns.0', configInput({ allowedManagedPolicyArns: ['arn:aws:iam::aws:policy/*'] })],
    ['extraTags.team', configInput({ extraTags: { team: 'a*b' } })],
    ['approvalRules.1.id', configInput({ approvalRules: [rule('payments'), rule('payments')] })],
  ])('names the field %s of an invalid config', (path, input) => {
    // Arrange (the input above)

    // Act
    const paths = issuePaths(input);

    // Assert
    expect(paths).toContain(path);
  });

  it('names an unknown key and the object that holds it', () => {
    // Arrange
    const input = configInput({ clusters: [dev({ colour: 'blue' })] });

    // Act
    const result = BrokerConfigSchema.safeParse(input);

    // Assert
    expect(describeIssues(result.error!)).toEqual([{ path: 'clusters.0', message: expect.stringContaining('"colour"') }]);
  });

  it('refuses cluster names that differ only by case, because IAM role names are case-insensitive', () => {
    // Arrange
    const input = configInput({ clusters: [dev({ name: 'Dev' }), dev({ name: 'prod' }), dev({ name: 'dEV' })] });

    // Act
    const result = BrokerConfigSchema.safeParse(input);

    // Assert
    expect(result.success).toBe(false);
    expect(describeIssues(result.error!)).toEqual([
      { path: 'clusters.2.name', message: expect.stringContaining('names are compared case-insensitively') },
    ]);
  });

  it('accepts cluster names that differ by more than case', () => {
    // Arrange
    const input = configInput({ clusters: [dev({ name: 'dev' }), dev({ name: 'dev-2' }), dev({ name: 'dev_2' })] });

    // Act
    const paths = issuePaths(input);

    // Assert
    expect(paths).toEqual([]);
  });

  it('refuses a cluster whose inherited broker-wide boundary is in another partition', () => {
    // Arrange
    const input = configInput({ clusters: [dev({ name: 'beijing', region: 'cn-north-1', partition: 'aws-cn' })] });

    // Act
    const result = BrokerConfigSchema.safeParse(input);

    // Assert
    expect(describeIssues(result.error!)).toEqual([
      { path: 'clusters.0.permissionsBoundaryArn', message: expect.stringContaining("not in the cluster's partition aws-cn") },
    ]);
  });

  it("refuses a cluster's own boundary in another partition", () => {
    // Arrange
    const input = configInput({
      clusters: [
        dev({ name: 'govcloud', region: 'us-gov-west-1', partition: 'aws-us-gov', permissionsBoundaryArn: 'arn:aws-cn:iam::aws:policy/b' }),
      ],
    });

    // Act
    const paths = issuePaths(input);

    // Assert
    expect(paths).toEqual(['clusters.0.permissionsBoundaryArn']);
  });

  it("accepts a cluster whose own boundary overrides the broker-wide one in the cluster's partition", () => {
    // Arrange
    const input = configInput({
      clusters: [
        dev({
          name: 'beijing',
          region: 'cn-north-1',
          accountId: '222233334444',
          partition: 'aws-cn',
          permissionsBoundaryArn: 'arn:aws-cn:iam::222233334444:policy/b',
        }),
      ],
    });

    // Act
    const paths = issuePaths(input);

    // Assert
    expect(paths).toEqual([]);
  });

  it("refuses a boundary in another account than the cluster's", () => {
    // Arrange: a second account's cluster inheriting the broker-wide boundary of the first
    const input = configInput({ hubAccountId: '111122223333', clusters: [dev(), dev({ name: 'prod', accountId: '444455556666' })] });

    // Act
    const messages = issueMessages(input);

    // Assert
    expect(messages).toEqual([expect.stringContaining("not the cluster's account 444455556666")]);
  });

  it.each(['aws:owner', 'AWS:owner', 'irsa-broker:managed-by', 'IRSA-Broker:owner'])(
    'refuses the extra tag %j with a reserved prefix',
    (key) => {
      // Arrange
      const input = configInput({ extraTags: { [key]: 'someone' } });

      // Act
      const result = BrokerConfigSchema.safeParse(input);

      // Assert
      expect(result.success).toBe(false);
      expect(describeIssues(result.error!).map((issue) => issue.path)).toEqual([`extraTags.${key}`]);
      expect(JSON.stringify(result.error!.issues)).toContain('must not use the reserved prefixes');
    },
  );

  it('accepts extra tags that merely contain a reserved word', () => {
    // Arrange
    const input = configInput({ extraTags: { 'team:aws': 'x', 'owner-irsa-broker': 'y' } });

    // Act
    const paths = issuePaths(input);

    // Assert
    expect(paths).toEqual([]);
  });

  it('refuses more than 45 extra tags, leaving 5 of IAM’s 50 to the broker', () => {
    // Arrange
    const extraTags = Object.fromEntries(Array.from({ length: 46 }, (_, index) => [`tag-${index}`, 'x']));

    // Act
    const messages = issueMessages(configInput({ extraTags }));

    // Assert
    expect(messages).toEqual(['must hold at most 45 tags']);
  });
});

describe('BrokerConfigSchema guardrails', () => {
  it('refuses rolePath "/", under which the broker could write a *:* policy and attach it to any role, its own included', () => {
    // Arrange / Act
    const messages = issueMessages(configInput({ rolePath: '/' }));

    // Assert
    expect(messages).toEqual([expect.stringContaining('must not be "/"')]);
  });

  it.each(['/service-role/', '/aws-service-role/eks/', '/AWS-Reserved/sso/'])(
    'refuses rolePath %s, where AWS keeps roles of its own',
    (rolePath) => {
      // Arrange / Act
      const paths = issuePaths(configInput({ rolePath }));

      // Assert
      expect(paths).toEqual(['rolePath']);
    },
  );

  it.each([
    ['directly under the path', 'arn:aws:iam::111122223333:policy/irsa-broker/boundary'],
    ['deeper under the path', 'arn:aws:iam::111122223333:policy/irsa-broker/fences/boundary'],
    ['under the path in another case', 'arn:aws:iam::111122223333:policy/IRSA-Broker/boundary'],
  ])('refuses a boundary %s, which the broker could rewrite', (_where, boundary) => {
    // Arrange / Act
    const paths = issuePaths(configInput({ permissionsBoundaryArn: boundary }));

    // Assert
    expect(paths).toEqual(['permissionsBoundaryArn']);
  });

  it("refuses a cluster's own boundary under the path too", () => {
    // Arrange
    const prod = dev({
      name: 'prod',
      accountId: '444455556666',
      permissionsBoundaryArn: 'arn:aws:iam::444455556666:policy/irsa-broker/boundary',
    });

    // Act
    const paths = issuePaths(configInput({ clusters: [dev(), prod], hubAccountId: '111122223333' }));

    // Assert
    expect(paths).toEqual(['clusters.1.permissionsBoundaryArn']);
  });

  it('accepts a boundary beside the path, and an AWS-managed one, which nobody in the account can change', () => {
    // Arrange / Act
    const paths = [
      issuePaths(configInput({ permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/irsa-broker-boundary' })),
      issuePaths(configInput({ permissionsBoundaryArn: 'arn:aws:iam::aws:policy/irsa-broker/ReadOnlyAccess' })),
    ];

    // Assert
    expect(paths).toEqual([[], []]);
  });
});

describe('bucketAccountOf', () => {
  const config = BrokerConfigSchema.parse(
    configInput({ bucketAccounts: { 'partner-drop': '999988887777', 'shared-*': '555566667777', constructor: '123412341234' } }),
  );
  const cluster = { accountId: '111122223333' };

  it.each([
    ['a bucket config names', 'partner-drop', '999988887777'],
    ['a bucket a glob matches', 'shared-logs', '555566667777'],
    ['any other bucket', 'acme-invoices', '111122223333'],
    ['a bucket named like an object property', 'constructor', '123412341234'],
  ])('gives %s its owner account', (_what, bucket, account) => {
    // Arrange / Act
    const owner = bucketAccountOf(config, cluster, bucket);

    // Assert
    expect(owner).toBe(account);
  });

  it('never takes an inherited property for an owner: "constructor" unnamed is the cluster\'s', () => {
    // Arrange / Act
    const owner = bucketAccountOf(BrokerConfigSchema.parse(configInput()), cluster, 'constructor');

    // Assert
    expect(owner).toBe('111122223333');
  });
});

describe('findCluster', () => {
  it('finds a configured cluster by its exact name', () => {
    // Arrange
    const config = makeTestConfig();

    // Act
    const cluster = findCluster(config, 'described');

    // Assert
    expect(cluster?.name).toBe('described');
  });

  it.each(['Dev', 'DEV', 'dev ', 'unknown'])('finds nothing for %j', (name) => {
    // Arrange
    const config = makeTestConfig();

    // Act
    const cluster = findCluster(config, name);

    // Assert
    expect(cluster).toBeUndefined();
  });
});

function rule(id: string) {
  return { id, namespaces: ['payments'], ownerGroups: ['team-payments'], approverGroups: ['payments-leads'] };
}

describe('BrokerConfigSchema across accounts and partitions', () => {
  const prod = (overrides: Record<string, unknown> = {}) =>
    dev({ name: 'prod', accountId: '444455556666', permissionsBoundaryArn: 'arn:aws:iam::444455556666:policy/b', ...overrides });

  it('accepts clusters in several accounts once the hub account is named', () => {
    // Arrange
    const input = configInput({ hubAccountId: '111122223333', clusters: [dev(), prod()] });

    // Act
    const config = BrokerConfigSchema.parse(input);

    // Assert
    expect(config).toMatchObject({ hubAccountId: '111122223333', accounts: {} });
  });

  it('asks for hubAccountId when clusters are in several accounts', () => {
    // Arrange
    const input = configInput({ clusters: [dev(), prod()] });

    // Act
    const result = BrokerConfigSchema.safeParse(input);

    // Assert
    expect(describeIssues(result.error!)).toEqual([
      { path: 'hubAccountId', message: expect.stringContaining('set it to the account the broker is deployed in') },
    ]);
  });

  it.each([
    ['cn-north-1', 'aws', "is in partition aws-cn, not the cluster's partition aws; set partition: aws-cn"],
    ['us-gov-west-1', 'aws', 'is in partition aws-us-gov'],
    ['eu-west-1', 'aws-cn', "is in partition aws, not the cluster's partition aws-cn"],
    ['us-iso-east-1', 'aws', 'is in none of the partitions'],
  ])('refuses the region %s for a cluster in partition %s, saying which partition it is in', (region, partition, message) => {
    // Arrange
    const boundary = `arn:${partition}:iam::111122223333:policy/b`;
    const input = configInput({ clusters: [dev({ region, partition, permissionsBoundaryArn: boundary })] });

    // Act
    const result = BrokerConfigSchema.safeParse(input);

    // Assert
    expect(describeIssues(result.error!)).toEqual([{ path: 'clusters.0.region', message: expect.stringContaining(message) }]);
  });

  it('refuses clusters in two partitions, because roles cannot be assumed across them', () => {
    // Arrange
    const beijing = dev({
      name: 'beijing',
      region: 'cn-north-1',
      partition: 'aws-cn',
      accountId: '222233334444',
      permissionsBoundaryArn: 'arn:aws-cn:iam::222233334444:policy/b',
    });
    const input = configInput({ hubAccountId: '111122223333', clusters: [dev(), beijing] });

    // Act
    const result = BrokerConfigSchema.safeParse(input);

    // Assert
    expect(describeIssues(result.error!)).toEqual([
      { path: 'clusters.1.partition', message: expect.stringContaining('deploy one broker per partition') },
    ]);
  });

  it.each([
    ['https://oidc.example.com:8443/id/X', 'remove a port'],
    ['https://oidc.example.com:443/id/X', 'remove a port'],
    ['https://oidc.example.com/id/X?tenant=1', 'remove a query'],
    ['https://oidc.example.com/id/X#frag', 'remove a fragment'],
    ['https://user:secret@oidc.example.com/id/X', 'remove userinfo'],
    ['https://oidc.example.com/id/X/', 'must not end with "/"'],
  ])('refuses the issuer %s, saying what to remove', (oidcIssuer, message) => {
    // Arrange
    const input = configInput({ clusters: [dev({ oidcIssuer })] });

    // Act
    const result = BrokerConfigSchema.safeParse(input);

    // Assert
    expect(describeIssues(result.error!)).toEqual([{ path: 'clusters.0.oidcIssuer', message: expect.stringContaining(message) }]);
  });

  it.each(['https://oidc.eks.eu-west-1.amazonaws.com/id/ABC', 'https://issuer.example.com'])('accepts the issuer %s', (oidcIssuer) => {
    // Arrange
    const input = configInput({ clusters: [dev({ oidcIssuer })] });

    // Act
    const paths = issuePaths(input);

    // Assert
    expect(paths).toEqual([]);
  });

  it.each([
    ['in another account than the one it is listed for', 'arn:aws:iam::555566667777:role/irsa-broker/p', 'use one in 444455556666'],
    ["outside the clusters' partition", 'arn:aws-cn:iam::444455556666:role/p', "not in the clusters' partition aws"],
  ])('refuses a provisioner role %s', (_, provisionerRoleArn, message) => {
    // Arrange
    const input = configInput({
      hubAccountId: '111122223333',
      clusters: [dev(), prod()],
      accounts: { '444455556666': { provisionerRoleArn } },
    });

    // Act
    const result = BrokerConfigSchema.safeParse(input);

    // Assert
    expect(describeIssues(result.error!)).toEqual([
      { path: 'accounts.444455556666.provisionerRoleArn', message: expect.stringContaining(message) },
    ]);
  });

  it('refuses an account entry no cluster uses, so the broker may assume only roles it needs', () => {
    // Arrange
    const input = configInput({ accounts: { '999988887777': {} } });

    // Act
    const result = BrokerConfigSchema.safeParse(input);

    // Assert
    expect(describeIssues(result.error!)).toEqual([
      { path: 'accounts.999988887777', message: expect.stringContaining('no configured cluster is in account 999988887777') },
    ]);
  });

  it.each([
    ['accounts.1234', { accounts: { '1234': {} } }],
    [
      'accounts.111122223333.provisionerRoleArn',
      { accounts: { '111122223333': { provisionerRoleArn: 'arn:aws:iam::111122223333:user/u' } } },
    ],
    ['accounts.111122223333.externalId', { accounts: { '111122223333': { externalId: 'x' } } }],
    ['hubAccountId', { hubAccountId: 'hub' }],
  ])('names the field %s of an invalid account setting', (path, overrides) => {
    // Arrange
    const input = configInput(overrides);

    // Act
    const paths = issuePaths(input);

    // Assert
    expect(paths).toContain(path);
  });
});
