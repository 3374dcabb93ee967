import { S3GrantSchema, type Grant } from '../../../src/domain/accessRequest';
import { makePermissionPolicy } from '../../../src/domain/makePermissionPolicy';
import type { PolicyStatement } from '../../../src/domain/policyDocument';

/** A grant as a client would send it, normalized by the schema (prefixes gain their trailing "/"). */
function s3Grant(grant: { bucket: string; level: 'read' | 'write' | 'read-write' | 'list'; prefix?: string }): Grant {
  return S3GrantSchema.parse({ type: 's3', ...grant });
}

const ACCOUNT = '111122223333';
/** Every bucket owned by the cluster's account, as when config names no other. */
const clusterAccount = () => ACCOUNT;
const owned = { StringEquals: { 's3:ResourceAccount': ACCOUNT } };

const sqsReadOnly: Grant = { type: 'managed-policy', arn: 'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess' };

function statementsOf(grants: Grant[], partition: 'aws' | 'aws-cn' | 'aws-us-gov' = 'aws'): PolicyStatement[] {
  const document = makePermissionPolicy(grants, partition, clusterAccount);
  if (!document) throw new Error('expected a permission policy');
  return document.Statement;
}

describe('makePermissionPolicy', () => {
  it('lets a reader get objects and list the bucket, nothing more', () => {
    // Arrange
    const grants = [s3Grant({ bucket: 'acme-reports', level: 'read' })];

    // Act
    const document = makePermissionPolicy(grants, 'aws', clusterAccount);

    // Assert
    expect(document).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'S3Objects1', Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::acme-reports/*', Condition: owned },
        { Sid: 'S3List1', Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::acme-reports', Condition: owned },
      ],
    });
  });

  it('lets a writer put and abort multipart uploads but not list or read', () => {
    // Arrange
    const grants = [s3Grant({ bucket: 'acme-landing', level: 'write' })];

    // Act
    const statements = statementsOf(grants);

    // Assert
    expect(statements).toEqual([
      {
        Sid: 'S3Objects1',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:PutObject'],
        Resource: 'arn:aws:s3:::acme-landing/*',
        Condition: owned,
      },
    ]);
    expect(JSON.stringify(statements)).not.toContain('s3:ListBucket');
    expect(JSON.stringify(statements)).not.toContain('s3:GetObject');
  });

  it('lets a reader-writer get, put, abort and list', () => {
    // Arrange
    const grants = [s3Grant({ bucket: 'acme-invoices', level: 'read-write' })];

    // Act
    const statements = statementsOf(grants);

    // Assert
    expect(statements).toEqual([
      {
        Sid: 'S3Objects1',
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
        Resource: 'arn:aws:s3:::acme-invoices/*',
        Condition: owned,
      },
      { Sid: 'S3List1', Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::acme-invoices', Condition: owned },
    ]);
  });

  it('lets a lister only list the bucket, with no object statement at all', () => {
    // Arrange
    const grants = [s3Grant({ bucket: 'acme-archive', level: 'list' })];

    // Act
    const statements = statementsOf(grants);

    // Assert
    expect(statements).toEqual([
      { Sid: 'S3List1', Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::acme-archive', Condition: owned },
    ]);
  });

  it('narrows objects to bucket/prefix/* and listing to a StringLike s3:prefix condition', () => {
    // Arrange
    const grants = [s3Grant({ bucket: 'acme-invoices', prefix: 'exports/2026', level: 'read' })];

    // Act
    const [objects, listing] = statementsOf(grants);

    // Assert
    expect(objects?.Resource).toBe('arn:aws:s3:::acme-invoices/exports/2026/*');
    expect(listing).toEqual({
      Sid: 'S3List1',
      Effect: 'Allow',
      Action: 's3:ListBucket',
      Resource: 'arn:aws:s3:::acme-invoices',
      Condition: { ...owned, StringLike: { 's3:prefix': 'exports/2026/*' } },
    });
  });

  it('puts no prefix condition on listing a whole bucket', () => {
    // Arrange
    const grants = [s3Grant({ bucket: 'acme-archive', level: 'list' })];

    // Act
    const [listing] = statementsOf(grants);

    // Assert
    expect(listing?.Condition).toEqual(owned);
  });

  it("pins every statement to the bucket owner's account, so a bucket name someone else takes over grants nothing", () => {
    // Arrange: the attack: "acme-invoices" deleted, re-created in the attacker's account.
    const grants = [
      s3Grant({ bucket: 'acme-invoices', prefix: 'exports', level: 'read-write' }),
      s3Grant({ bucket: 'partner-drop', level: 'write' }),
    ];
    const owners: Record<string, string> = { 'acme-invoices': ACCOUNT, 'partner-drop': '999988887777' };

    // Act
    const statements = makePermissionPolicy(grants, 'aws', (bucket) => owners[bucket]!)?.Statement ?? [];

    // Assert
    expect(statements.map((statement) => [statement.Sid, statement.Condition?.StringEquals])).toEqual([
      ['S3Objects1', { 's3:ResourceAccount': ACCOUNT }],
      ['S3List1', { 's3:ResourceAccount': ACCOUNT }],
      ['S3Objects2', { 's3:ResourceAccount': '999988887777' }],
    ]);
  });

  it('never lets a prefix grant reach a sibling prefix that merely starts with the same letters', () => {
    // Arrange
    const grants = [s3Grant({ bucket: 'acme-reports', prefix: 'reports', level: 'read' })];

    // Act
    const [objects, listing] = statementsOf(grants);

    // Assert
    expect(objects?.Resource).toBe('arn:aws:s3:::acme-reports/reports/*');
    expect(listing?.Condition).toEqual({ ...owned, StringLike: { 's3:prefix': 'reports/*' } });
  });

  it.each([
    ['aws', 'arn:aws:s3:::acme-assets'],
    ['aws-cn', 'arn:aws-cn:s3:::acme-assets'],
    ['aws-us-gov', 'arn:aws-us-gov:s3:::acme-assets'],
  ] as const)('writes ARNs in the %s partition', (partition, bucketArn) => {
    // Arrange
    const grants = [s3Grant({ bucket: 'acme-assets', prefix: 'web/', level: 'read' })];

    // Act
    const [objects, listing] = statementsOf(grants, partition);

    // Assert
    expect(objects?.Resource).toBe(`${bucketArn}/web/*`);
    expect(listing?.Resource).toBe(bucketArn);
  });

  it('gives the same document whatever the order of the grants', () => {
    // Arrange
    const grants = [
      s3Grant({ bucket: 'acme-invoices', prefix: 'exports/', level: 'write' }),
      s3Grant({ bucket: 'acme-archive', level: 'list' }),
      s3Grant({ bucket: 'acme-invoices', prefix: 'exports/', level: 'read' }),
      s3Grant({ bucket: 'acme-reports', level: 'read-write' }),
      sqsReadOnly,
    ];

    // Act
    const forwards = makePermissionPolicy(grants, 'aws', clusterAccount);
    const backwards = makePermissionPolicy([...grants].reverse(), 'aws', clusterAccount);

    // Assert
    expect(backwards).toEqual(forwards);
  });

  it('gives the same document when a grant is repeated', () => {
    // Arrange
    const grant = s3Grant({ bucket: 'acme-reports', prefix: 'daily', level: 'read' });

    // Act
    const once = makePermissionPolicy([grant], 'aws', clusterAccount);
    const thrice = makePermissionPolicy([grant, grant, { ...grant }], 'aws', clusterAccount);

    // Assert
    expect(thrice).toEqual(once);
  });

  it('merges grants on the same bucket and prefix into one scope', () => {
    // Arrange
    const grants = [
      s3Grant({ bucket: 'acme-invoices', prefix: 'exports/', level: 'write' }),
      s3Grant({ bucket: 'acme-invoices', prefix: 'exports', level: 'read' }),
    ];

    // Act
    const document = makePermissionPolicy(grants, 'aws', clusterAccount);

    // Assert
    expect(document).toEqual(
      makePermissionPolicy([s3Grant({ bucket: 'acme-invoices', prefix: 'exports/', level: 'read-write' })], 'aws', clusterAccount),
    );
  });

  it('returns null when the request holds only managed policies', () => {
    // Arrange
    const grants = [sqsReadOnly];

    // Act
    const document = makePermissionPolicy(grants, 'aws', clusterAccount);

    // Assert
    expect(document).toBeNull();
  });

  it('leaves managed policies out of a document that has S3 grants', () => {
    // Arrange
    const grants = [sqsReadOnly, s3Grant({ bucket: 'acme-reports', level: 'read' })];

    // Act
    const document = makePermissionPolicy(grants, 'aws', clusterAccount);

    // Assert
    expect(JSON.stringify(document)).not.toContain('AmazonSQSReadOnlyAccess');
  });
});
