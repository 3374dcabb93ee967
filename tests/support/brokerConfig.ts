import { BrokerConfigSchema, type BrokerConfig, type BrokerConfigInput } from '../../src/domain/brokerConfig';

/** A config with one cluster in each partition, for tests. */
export function makeTestConfig(overrides: Partial<BrokerConfigInput> = {}): BrokerConfig {
  return BrokerConfigSchema.parse({
    clusters: [
      {
        name: 'dev',
        region: 'eu-west-1',
        accountId: '111122223333',
        oidcIssuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
      },
      {
        name: 'beijing',
        region: 'cn-north-1',
        accountId: '222233334444',
        partition: 'aws-cn',
        oidcIssuer: 'https://oidc.eks.cn-north-1.amazonaws.com.cn/id/EXAMPLE7A1B2C3D4E5F60718293A4B5C',
        permissionsBoundaryArn: 'arn:aws-cn:iam::222233334444:policy/irsa-broker-boundary',
      },
      {
        name: 'govcloud',
        region: 'us-gov-west-1',
        accountId: '333344445555',
        partition: 'aws-us-gov',
        oidcIssuer: 'https://oidc.eks.us-gov-west-1.amazonaws.com/id/EXAMPLE1A2B3C4D5E6F708192A3B4C5D',
        permissionsBoundaryArn: 'arn:aws-us-gov:iam::333344445555:policy/irsa-broker-boundary',
      },
      { name: 'described', region: 'eu-west-1', accountId: '111122223333' },
    ],
    permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/irsa-broker-boundary',
    extraTags: { 'cost-center': 'platform' },
    allowedManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess', 'arn:aws-cn:iam::aws:policy/AmazonSQSReadOnlyAccess'],
    ...overrides,
  });
}
