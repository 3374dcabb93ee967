import type { S3Grant } from '../../../src/domain/accessRequest';
import { BucketFactsStatus, type BucketFacts } from '../../../src/domain/bucketFacts';
import { bucketPolicyAdmits, makeBucketPolicyStatements } from '../../../src/domain/bucketPolicy';
import { assessBuckets, expectedBucketOwners } from '../../../src/domain/bucketPreflight';
import { BrokerError } from '../../../src/domain/errors';
import { makePermissionPolicy, s3ViaService } from '../../../src/domain/makePermissionPolicy';
import type { PolicyStatement } from '../../../src/domain/policyDocument';
import { makeTestConfig } from '../../support/brokerConfig';
import { errorOf } from '../../support/errorOf';

// moto evaluates no policy conditions, so the integration tests cannot show that the KMS statement
// is limited to S3 in the bucket's region and to the grant's bucket and prefix. These tables pin the
// conditions the broker writes, statement by statement.

const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ROLE = 'arn:aws:iam::111122223333:role/irsa-broker/irsa-dev.payments.exporter';
const grant = (level: S3Grant['level'], prefix?: string): S3Grant => ({
  type: 's3',
  bucket: 'acme-invoices',
  level,
  ...(prefix ? { prefix } : {}),
});
const owner = () => '111122223333';
const kmsOf = (statements: PolicyStatement[]) => statements.find((statement) => statement.Sid?.startsWith('S3Kms'));

describe('makePermissionPolicy with an SSE-KMS bucket', () => {
  it.each([
    ['read', ['kms:Decrypt']],
    ['write', ['kms:Decrypt', 'kms:GenerateDataKey']],
    ['read-write', ['kms:Decrypt', 'kms:GenerateDataKey']],
  ] as const)('gives level %s exactly the KMS actions %j on the key', (level, actions) => {
    const keys = new Map([['acme-invoices', { kmsKeyArn: KEY, region: 'eu-west-1', bucketKeyEnabled: false }]]);
    const statement = kmsOf(makePermissionPolicy([grant(level, 'exports/')], 'aws', owner, keys)!.Statement);
    expect(statement).toMatchObject({ Effect: 'Allow', Action: actions, Resource: KEY });
  });

  it("grants a key the bucket names by alias as the account's keys in the region that carry the alias (IAM sees key ARNs, not aliases)", () => {
    const alias = 'arn:aws:kms:eu-west-1:111122223333:alias/invoices';
    const keys = new Map([['acme-invoices', { kmsKeyArn: alias, region: 'eu-west-1', bucketKeyEnabled: false }]]);
    const statement = kmsOf(makePermissionPolicy([grant('read', 'exports/')], 'aws', owner, keys)!.Statement);
    expect(statement).toMatchObject({
      Resource: 'arn:aws:kms:eu-west-1:111122223333:key/*',
      Condition: {
        StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::acme-invoices/exports/*' },
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/invoices' },
      },
    });
  });

  it('gives a list-only grant no KMS statement (listing decrypts nothing)', () => {
    const keys = new Map([['acme-invoices', { kmsKeyArn: KEY, region: 'eu-west-1', bucketKeyEnabled: false }]]);
    expect(kmsOf(makePermissionPolicy([grant('list')], 'aws', owner, keys)!.Statement)).toBeUndefined();
  });

  it.each([
    // [partition, region, prefix, bucketKeyEnabled, via service, encryption context]
    ['aws', 'eu-west-1', 'exports/', false, 's3.eu-west-1.amazonaws.com', 'arn:aws:s3:::acme-invoices/exports/*'],
    ['aws', 'us-west-2', undefined, false, 's3.us-west-2.amazonaws.com', 'arn:aws:s3:::acme-invoices/*'],
    // With S3 Bucket Keys, S3 sends the bucket's ARN as context: the prefix cannot narrow KMS, S3 still does.
    ['aws', 'eu-west-1', 'exports/', true, 's3.eu-west-1.amazonaws.com', 'arn:aws:s3:::acme-invoices'],
    ['aws-cn', 'cn-north-1', 'exports/', false, 's3.cn-north-1.amazonaws.com.cn', 'arn:aws-cn:s3:::acme-invoices/exports/*'],
    ['aws-us-gov', 'us-gov-west-1', 'a/', false, 's3.us-gov-west-1.amazonaws.com', 'arn:aws-us-gov:s3:::acme-invoices/a/*'],
  ] as const)(
    'in %s %s (prefix %s, bucket key %s) limits KMS to %s and context %s',
    (partition, region, prefix, bucketKeyEnabled, via, context) => {
      const keys = new Map([['acme-invoices', { kmsKeyArn: KEY, region, bucketKeyEnabled }]]);
      const statement = kmsOf(makePermissionPolicy([grant('read', prefix)], partition, owner, keys)!.Statement);
      expect(statement?.Condition).toEqual({
        StringEquals: { 'kms:ViaService': via },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': context },
      });
      expect(s3ViaService(partition, region)).toBe(via);
    },
  );

  it('adds nothing for a bucket without a key, and leaves the S3 statements as they were', () => {
    const withoutKeys = makePermissionPolicy([grant('read', 'exports/')], 'aws', owner);
    const keys = new Map([['other-bucket', { kmsKeyArn: KEY, region: 'eu-west-1', bucketKeyEnabled: false }]]);
    expect(makePermissionPolicy([grant('read', 'exports/')], 'aws', owner, keys)).toEqual(withoutKeys);
  });
});

describe('makeBucketPolicyStatements', () => {
  it("copies the role's S3 statements on that bucket (prefix condition included) with the role as principal", () => {
    const policy = makePermissionPolicy([grant('read', 'exports/'), { type: 's3', bucket: 'other', level: 'read' }], 'aws', owner);
    const statements = makeBucketPolicyStatements(policy, 'aws', 'acme-invoices', ROLE);
    expect(statements).toEqual([
      {
        Sid: 'IrsaBrokeracmeinvoicesS3Objects1',
        Effect: 'Allow',
        Principal: { AWS: ROLE },
        Action: ['s3:GetObject'],
        Resource: 'arn:aws:s3:::acme-invoices/exports/*',
      },
      {
        Sid: 'IrsaBrokeracmeinvoicesS3List1',
        Effect: 'Allow',
        Principal: { AWS: ROLE },
        Action: 's3:ListBucket',
        Resource: 'arn:aws:s3:::acme-invoices',
        Condition: { StringLike: { 's3:prefix': 'exports/*' } },
      },
    ]);
  });

  it('never copies the KMS statement (the key policy is not the bucket policy)', () => {
    const keys = new Map([['acme-invoices', { kmsKeyArn: KEY, region: 'eu-west-1', bucketKeyEnabled: false }]]);
    const statements = makeBucketPolicyStatements(makePermissionPolicy([grant('read')], 'aws', owner, keys), 'aws', 'acme-invoices', ROLE);
    expect(statements.flatMap((statement) => statement.Action)).toEqual(['s3:GetObject', 's3:ListBucket']);
  });
});

describe('bucketPolicyAdmits', () => {
  const wanted = makeBucketPolicyStatements(makePermissionPolicy([grant('read', 'exports/')], 'aws', owner), 'aws', 'acme-invoices', ROLE);
  const policy = (...statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
  const allow = (principal: unknown, action: unknown, resource: unknown) => ({
    Effect: 'Allow',
    Principal: principal,
    Action: action,
    Resource: resource,
  });
  const both = ['arn:aws:s3:::acme-invoices', 'arn:aws:s3:::acme-invoices/*'];

  it.each([
    ['the exact statements', true, policy(...wanted)],
    ['the role by ARN with wildcards', true, policy(allow({ AWS: ROLE }, 's3:*', both))],
    ["the role's account root", true, policy(allow({ AWS: 'arn:aws:iam::111122223333:root' }, ['s3:GetObject', 's3:ListBucket'], both))],
    [
      "the role's account id",
      true,
      policy(allow({ AWS: '111122223333' }, 's3:Get*', both), allow({ AWS: '111122223333' }, 's3:ListBucket', both)),
    ],
    ['anyone', true, policy(allow('*', 's3:*', both))],
    ['another role', false, policy(allow({ AWS: 'arn:aws:iam::111122223333:role/other' }, 's3:*', both))],
    ['reads but no listing', false, policy(allow({ AWS: ROLE }, 's3:GetObject', both))],
    [
      'another prefix only',
      false,
      policy(allow({ AWS: ROLE }, 's3:*', ['arn:aws:s3:::acme-invoices', 'arn:aws:s3:::acme-invoices/imports/*'])),
    ],
    [
      'an allow undone by a deny',
      false,
      policy(allow({ AWS: ROLE }, 's3:*', both), { ...allow({ AWS: '*' }, 's3:GetObject', both), Effect: 'Deny' }),
    ],
    ['no policy at all', false, null],
    ['text that is not JSON', null, '{not json'],
  ])('for a policy admitting %s says %s', (_case, admits, text) => {
    expect(bucketPolicyAdmits(text, wanted, '111122223333')).toBe(admits);
  });
});

describe('assessBuckets', () => {
  const config = makeTestConfig({ bucketAccounts: { 'partner-*': '222222222222' } });
  const cluster = config.clusters[0]!;
  const found = (owner: string, extra: Partial<Extract<BucketFacts, { status: 'found' }>> = {}): BucketFacts => ({
    status: BucketFactsStatus.Found,
    region: cluster.region,
    owner,
    encryption: { type: 'SSE-S3', bucketKeyEnabled: false },
    policy: { text: null },
    ...extra,
  });

  it('expects exactly the owner bucketAccounts names (the s3:ResourceAccount of the policy), else the cluster account', () => {
    expect(expectedBucketOwners(config, cluster, 'partner-exports')).toEqual(['222222222222']);
    expect(expectedBucketOwners(config, cluster, 'acme-invoices')).toEqual([cluster.accountId]);
  });

  it.each([
    [{ status: BucketFactsStatus.Missing }, 'BUCKET_NOT_FOUND'],
    [{ status: BucketFactsStatus.OwnerNotExpected, code: 'AccessDenied' }, 'BUCKET_OWNER_NOT_ALLOWED'],
  ] as const)('refuses %j with 422 %s', (fact, code) => {
    const error = errorOf(() => assessBuckets(new Map([['acme-invoices', fact]]), cluster, config)) as BrokerError;
    expect([error.kind, error.code]).toEqual(['invalid', code]);
  });

  it.each([
    ['SSE-S3', found(cluster.accountId), [], false],
    [
      'an AWS-managed key',
      found(cluster.accountId, { encryption: { type: 'SSE-KMS', bucketKeyEnabled: false } }),
      ['AWS_MANAGED_KMS_KEY'],
      false,
    ],
    [
      'a customer key',
      found(cluster.accountId, { encryption: { type: 'SSE-KMS', kmsKeyArn: KEY, bucketKeyEnabled: true } }),
      ['KMS_KEY_ADDED'],
      true,
    ],
    ['unreadable encryption', found(cluster.accountId, { encryption: { unreadable: 'AccessDenied' } }), ['ENCRYPTION_UNREADABLE'], false],
    ['another region', found(cluster.accountId, { region: 'ap-south-1' }), ['OTHER_REGION'], false],
    ['a transient failure', { status: BucketFactsStatus.Unchecked, code: 'SlowDown', message: 'slow down' }, ['UNCHECKED'], false],
  ] as const)('turns %s into its findings, planning a key only for a customer key', (_case, fact, codes, keyed) => {
    const { buckets, keys } = assessBuckets(new Map([['acme-invoices', fact as BucketFacts]]), cluster, config);
    expect(buckets[0]!.findings.map((finding) => finding.code)).toEqual(codes);
    expect(keys.has('acme-invoices')).toBe(keyed);
  });
});
