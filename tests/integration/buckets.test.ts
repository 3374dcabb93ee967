import { CreateBucketCommand, PutBucketEncryptionCommand, PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { useMotoAndDynamo } from '../support/motoAndDynamo';
import { S3BucketInspector } from '../../src/adapters/aws/s3BucketInspector';
import { BrokerError } from '../../src/domain/errors';
import type { CallerIdentity } from '../../src/domain/identity';
import { planGrant } from '../../src/usecases/planGrant';
import { submitAccessRequest } from '../../src/usecases/submitAccessRequest';
import { newCallLog, provisioningDeps, s3Client } from '../support/provisioningHarness';

// The bucket pre-flight against moto's S3, through the real adapter, at plan and at submit. moto does
// not enforce ExpectedBucketOwner; the harness launcher does (403 AccessDenied for another owner), as
// S3 does. What these tests cannot prove: that IAM would honour the KMS conditions the plan writes
// (moto evaluates no conditions) — tests/unit/domain/bucketStatements.test.ts pins them instead.

const root = join(__dirname, '../..');
const developer: CallerIdentity = { subject: 'dev-1', groups: ['developers'], source: 'jwt' };
const PARTNER = '222222222222';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const servers = useMotoAndDynamo(root);

const request = (bucket: string, level = 'read', prefix = 'exports/') => ({
  cluster: 'harness',
  namespace: 'payments',
  serviceAccount: 'exporter',
  grants: [{ type: 's3', bucket, prefix, level }],
});
const deps = (overrides = {}) => provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog(), overrides);

async function refusal(act: () => Promise<unknown>): Promise<BrokerError> {
  const error = await act().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BrokerError);
  return error as BrokerError;
}

async function createBucket(bucket: string, region: string, account?: string) {
  const configuration = region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region } };
  await s3Client(servers.moto.endpoint, region, account).send(
    new CreateBucketCommand({ Bucket: bucket, ...configuration } as ConstructorParameters<typeof CreateBucketCommand>[0]),
  );
}

describe('bucket pre-flight against moto', () => {
  it('refuses a bucket that does not exist with 422 BUCKET_NOT_FOUND, at plan and at submit, storing nothing', async () => {
    const d = deps();
    for (const act of [() => planGrant(request('acme-typo'), d), () => submitAccessRequest(request('acme-typo'), developer, d)]) {
      const error = await refusal(act);
      expect([error.kind, error.code]).toEqual(['invalid', 'BUCKET_NOT_FOUND']);
      expect(error.message).toContain('acme-typo');
    }
    expect(
      (await d.store.list({}, { limit: 10 })).items.filter((item) =>
        item.request.grants.some((g) => g.type === 's3' && g.bucket === 'acme-typo'),
      ),
    ).toEqual([]);
  });

  it('plans a bucket in the cluster account with its region, owner and encryption, and no bucket-policy statement', async () => {
    const plan = await planGrant(request('acme-invoices'), deps());
    expect(plan.buckets).toEqual([
      {
        bucket: 'acme-invoices',
        checked: true,
        exists: true,
        region: 'eu-west-1',
        owner: '123456789012',
        encryption: 'none',
        kmsKeyArn: null,
        findings: [],
      },
    ]);
  });

  it('refuses a bucket owned by another account with 422 BUCKET_OWNER_NOT_ALLOWED', async () => {
    await createBucket('partner-exports', 'eu-west-1', PARTNER);
    const error = await refusal(() => planGrant(request('partner-exports'), deps()));
    expect([error.kind, error.code]).toEqual(['invalid', 'BUCKET_OWNER_NOT_ALLOWED']);
    expect(error.details).toMatchObject({ bucket: 'partner-exports', expectedOwners: ['123456789012'], code: 'AccessDenied' });
  });

  it('plans a bucket config allows in another account with the bucket-policy statement its owner must add', async () => {
    await createBucket('partner-exports', 'eu-west-1', PARTNER);
    const plan = await planGrant(request('partner-exports'), deps({ bucketAccounts: { 'partner-*': PARTNER } }));
    const [bucket] = plan.buckets!;
    expect(bucket).toMatchObject({ bucket: 'partner-exports', owner: PARTNER, checked: true });
    expect(bucket!.bucketPolicy).toEqual({
      admitsRole: false,
      statements: [
        {
          Sid: 'IrsaBrokerpartnerexportsS3Objects1',
          Effect: 'Allow',
          Principal: { AWS: plan.role.arn },
          Action: ['s3:GetObject'],
          Resource: 'arn:aws:s3:::partner-exports/exports/*',
        },
        {
          Sid: 'IrsaBrokerpartnerexportsS3List1',
          Effect: 'Allow',
          Principal: { AWS: plan.role.arn },
          Action: 's3:ListBucket',
          Resource: 'arn:aws:s3:::partner-exports',
          Condition: { StringLike: { 's3:prefix': 'exports/*' } },
        },
      ],
    });
    expect(bucket!.findings.map((finding) => finding.code)).toEqual(['CROSS_ACCOUNT', 'BUCKET_POLICY_MISSING']);
  });

  it("says the bucket policy admits the role once the owner added the plan's statements (read with GetBucketPolicy)", async () => {
    await createBucket('partner-exports', 'eu-west-1', PARTNER);
    const d = deps({ bucketAccounts: { 'partner-*': PARTNER } });
    const statements = (await planGrant(request('partner-exports'), d)).buckets![0]!.bucketPolicy!.statements;
    await s3Client(servers.moto.endpoint, 'eu-west-1', PARTNER).send(
      new PutBucketPolicyCommand({ Bucket: 'partner-exports', Policy: JSON.stringify({ Version: '2012-10-17', Statement: statements }) }),
    );
    const bucket = (await planGrant(request('partner-exports'), d)).buckets![0]!;
    expect(bucket.bucketPolicy!.admitsRole).toBe(true);
    expect(bucket.findings.map((finding) => finding.code)).toEqual(['CROSS_ACCOUNT']);
  });

  it("adds the SSE-KMS bucket's key to the policy, with the S3 view service and the bucket's encryption context", async () => {
    await s3Client(servers.moto.endpoint).send(
      new PutBucketEncryptionCommand({
        Bucket: 'acme-invoices',
        ServerSideEncryptionConfiguration: {
          Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN }, BucketKeyEnabled: false }],
        },
      }),
    );
    const plan = await planGrant(request('acme-invoices', 'read-write'), deps());
    expect(plan.buckets![0]).toMatchObject({ encryption: 'SSE-KMS', kmsKeyArn: KEY_ARN });
    expect(plan.permissionPolicy!.document.Statement).toContainEqual({
      Sid: 'S3Kms1',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: KEY_ARN,
      Condition: {
        StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::acme-invoices/exports/*' },
      },
    });
  });

  it('reports a bucket in another region than the cluster', async () => {
    await createBucket('acme-us-archive', 'us-west-2');
    const plan = await planGrant(request('acme-us-archive'), deps());
    expect(plan.buckets![0]).toMatchObject({ region: 'us-west-2', owner: '123456789012' });
    expect(plan.buckets![0]!.findings.map((finding) => finding.code)).toEqual(['OTHER_REGION']);
  });

  it('does not block on a transient S3 error: the request is stored with the bucket unchecked', async () => {
    const d = deps();
    d.buckets = new S3BucketInspector((region) => {
      const client = s3Client(servers.moto.endpoint, region);
      client.middlewareStack.add(
        () => async () => {
          throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
        },
        { step: 'finalizeRequest', name: 'throttled' },
      );
      return client;
    });
    const record = await submitAccessRequest(request('acme-invoices'), developer, d);
    expect(record.status).toBe('pending');
    expect(record.plan.buckets![0]).toMatchObject({ bucket: 'acme-invoices', checked: false, exists: null });
    expect(record.plan.buckets![0]!.findings.map((finding) => finding.code)).toEqual(['UNCHECKED']);
  });
});
