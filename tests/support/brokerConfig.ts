import { BrokerConfigSchema, type BrokerConfig, type BrokerConfigInput } from '../../src/domain/brokerConfig';
import type { Partition } from '../../src/domain/names';

/** One deployment serves one partition, so each partition's test clusters get their own config. */
const clustersByPartition = {
  aws: {
    permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/irsa-broker-boundary',
    clusters: [
      {
        name: 'dev',
        region: 'eu-west-1',
        accountId: '111122223333',
        oidcIssuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
      },
      { name: 'described', region: 'eu-west-1', accountId: '111122223333' },
    ],
  },
  'aws-cn': {
    permissionsBoundaryArn: 'arn:aws-cn:iam::222233334444:policy/irsa-broker-boundary',
    clusters: [
      {
        name: 'beijing',
        region: 'cn-north-1',
        accountId: '222233334444',
        partition: 'aws-cn',
        oidcIssuer: 'https://oidc.eks.cn-north-1.amazonaws.com.cn/id/EXAMPLE7A1B2C3D4E5F60718293A4B5C',
      },
    ],
  },
  'aws-us-gov': {
    permissionsBoundaryArn: 'arn:aws-us-gov:iam::333344445555:policy/irsa-broker-boundary',
    clusters: [
      {
        name: 'govcloud',
        region: 'us-gov-west-1',
        accountId: '333344445555',
        partition: 'aws-us-gov',
        oidcIssuer: 'https://oidc.eks.us-gov-west-1.amazonaws.com/id/EXAMPLE1A2B3C4D5E6F708192A3B4C5D',
      },
    ],
  },
} satisfies Record<Partition, Pick<BrokerConfigInput, 'clusters' | 'permissionsBoundaryArn'>>;

/** A test config for one partition (aws: clusters `dev` and `described`; aws-cn: `beijing`; aws-us-gov: `govcloud`). */
export function makeTestConfig(overrides: Partial<BrokerConfigInput> = {}, partition: Partition = 'aws'): BrokerConfig {
  return BrokerConfigSchema.parse({
    ...clustersByPartition[partition],
    extraTags: { 'cost-center': 'platform' },
    // The aws-cn entry lets tests see a managed policy of another partition refused by the plan.
    allowedManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess', 'arn:aws-cn:iam::aws:policy/AmazonSQSReadOnlyAccess'],
    ...overrides,
  });
}
