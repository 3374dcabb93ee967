import { ServiceAccountPatternSchema } from '../../../src/domain/accessRequest';
import {
  BucketNameSchema,
  ClusterNameSchema,
  KeyPrefixSchema,
  ManagedPolicyArnSchema,
  NamespaceNameSchema,
  partitionOfArn,
  ServiceAccountNameSchema,
} from '../../../src/domain/names';

/** Strings that would widen a policy if they reached an ARN, a condition or a tag unescaped. */
const SMUGGLED = ['*', '?', 'a*', 'a:b', 'arn:aws:s3:::x', '${aws:username}', '../', 'x/*', ' ', ''];

describe('ClusterNameSchema', () => {
  it.each([...SMUGGLED, 'arn:aws:eks:eu-west-1:111122223333:cluster/dev', 'dev.prod', '-dev', '_dev', 'dev prod', 'c'.repeat(101)])(
    'refuses %j',
    (name) => {
      // Arrange (the name above)

      // Act
      const result = ClusterNameSchema.safeParse(name);

      // Assert
      expect(result.success).toBe(false);
    },
  );

  it.each(['dev', 'Prod_EU-1', '0cluster', 'c'.repeat(100)])('accepts the EKS name %j', (name) => {
    // Arrange (the name above)

    // Act
    const result = ClusterNameSchema.safeParse(name);

    // Assert
    expect(result.success).toBe(true);
  });
});

describe('NamespaceNameSchema', () => {
  it.each([...SMUGGLED, 'Payments', 'pay.ments', 'pay_ments', '-payments', 'payments-', 'n'.repeat(64)])('refuses %j', (name) => {
    // Arrange (the name above)

    // Act
    const result = NamespaceNameSchema.safeParse(name);

    // Assert
    expect(result.success).toBe(false);
  });

  it.each(['payments', 'team-a-1', '0', 'n'.repeat(63)])('accepts the RFC 1123 label %j', (name) => {
    // Arrange (the name above)

    // Act
    const result = NamespaceNameSchema.safeParse(name);

    // Assert
    expect(result.success).toBe(true);
  });
});

describe('ServiceAccountNameSchema', () => {
  it.each([...SMUGGLED, 'Exporter', '.exporter', 'exporter.', 'a..b', 'a.-b', 'exporter?', 's'.repeat(254)])('refuses %j', (name) => {
    // Arrange (the name above)

    // Act
    const result = ServiceAccountNameSchema.safeParse(name);

    // Assert
    expect(result.success).toBe(false);
  });

  it.each(['invoice-exporter', 'a.b-c.d', `${'s'.repeat(63)}.${'t'.repeat(63)}.${'u'.repeat(63)}.${'v'.repeat(61)}`])(
    'accepts the RFC 1123 subdomain %j',
    (name) => {
      // Arrange (the name above)

      // Act
      const result = ServiceAccountNameSchema.safeParse(name);

      // Assert
      expect(result.success).toBe(true);
    },
  );
});

describe('BucketNameSchema', () => {
  it.each([
    ...SMUGGLED,
    'bucket/*',
    'acme/reports',
    'Acme-Reports',
    'acme_reports',
    '192.168.1.1',
    '10.0.0.255',
    'ab',
    'b'.repeat(64),
    'acme..reports',
    '-acme',
    'acme-',
    '.acme',
    'xn--acme',
    'sthree-acme',
    'amzn-s3-demo-acme',
    'acme-s3alias',
    'acme--ol-s3',
    'acme.mrap',
    'acme--x-s3',
    'acme--table-s3',
  ])('refuses %j', (name) => {
    // Arrange (the name above)

    // Act
    const result = BucketNameSchema.safeParse(name);

    // Assert
    expect(result.success).toBe(false);
  });

  it.each(['acme-reports', 'acme.logs-2026', 'abc', '1.2.3', '1.2.3.4.5', 'b'.repeat(63)])('accepts the bucket name %j', (name) => {
    // Arrange (the name above)

    // Act
    const result = BucketNameSchema.safeParse(name);

    // Assert
    expect(result.success).toBe(true);
  });
});

describe('KeyPrefixSchema', () => {
  it.each([
    ...SMUGGLED,
    'logs/*',
    'logs?',
    '${aws:username}/',
    'home/${aws:userid}/',
    'a:b/',
    '..',
    '.',
    './reports',
    'reports/../secrets',
    'reports/./x',
    '/reports',
    'reports//2026',
    'reports 2026',
    'reports/2026\n',
    'p'.repeat(129),
  ])('refuses %j', (prefix) => {
    // Arrange (the prefix above)

    // Act
    const result = KeyPrefixSchema.safeParse(prefix);

    // Assert
    expect(result.success).toBe(false);
  });

  it.each([
    ['reports', 'reports/'],
    ['reports/', 'reports/'],
    ['exports/2026/q1', 'exports/2026/q1/'],
    ["a!b_c.d'e(f)g=h-i", "a!b_c.d'e(f)g=h-i/"],
    ['..hidden/x..', '..hidden/x../'],
  ])('normalizes %j to %j', (prefix, normalized) => {
    // Arrange (the prefix above)

    // Act
    const result = KeyPrefixSchema.parse(prefix);

    // Assert
    expect(result).toBe(normalized);
  });

  it('accepts a prefix of the maximum 112 characters, and refuses one longer', () => {
    // Arrange
    const prefix = 'p'.repeat(112);

    // Act
    const result = KeyPrefixSchema.parse(prefix);

    // Assert
    expect(result).toBe(`${prefix}/`);
    expect(KeyPrefixSchema.safeParse(`${prefix}p`).success).toBe(false);
  });
});

describe('ManagedPolicyArnSchema', () => {
  it.each([
    'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess',
    'arn:aws-cn:iam::aws:policy/AmazonSQSReadOnlyAccess',
    'arn:aws-us-gov:iam::111122223333:policy/team/reader',
  ])('accepts %j', (arn) => {
    // Arrange (the ARN above)

    // Act
    const result = ManagedPolicyArnSchema.safeParse(arn);

    // Assert
    expect(result.success).toBe(true);
  });

  it.each([
    '*',
    'arn:aws:iam::aws:policy/*',
    'arn:aws:iam::*:policy/Admin',
    'arn:aws:iam::aws:role/Admin',
    'arn:aws:s3:::acme',
    'arn:aws:iam::aws:policy/${aws:username}',
    'arn:other:iam::aws:policy/Admin',
  ])('refuses %j', (arn) => {
    // Arrange (the ARN above)

    // Act
    const result = ManagedPolicyArnSchema.safeParse(arn);

    // Assert
    expect(result.success).toBe(false);
  });
});

describe('partitionOfArn', () => {
  it('reads the partition out of an ARN', () => {
    // Arrange
    const arn = 'arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess';

    // Act
    const partition = partitionOfArn(arn);

    // Assert
    expect(partition).toBe('aws-us-gov');
  });
});

describe('ServiceAccountPatternSchema', () => {
  it.each(['*', '?', 'a*', 'ab*', '*abc', 'abc', 'ABC*', 'abc:*', 'abc/*', '${aws:username}*'])('refuses %j', (pattern) => {
    // Arrange (the pattern above)

    // Act
    const result = ServiceAccountPatternSchema.safeParse(pattern);

    // Assert
    expect(result.success).toBe(false);
  });

  it.each(['abc*', 'job-runner-?', 'job.runner.*'])('accepts %j', (pattern) => {
    // Arrange (the pattern above)

    // Act
    const result = ServiceAccountPatternSchema.safeParse(pattern);

    // Assert
    expect(result.success).toBe(true);
  });
});
