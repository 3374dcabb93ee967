/** @needs kube-apiserver (npm test runs this file after the harness build) */
import { CreatePolicyVersionCommand, IAMClient } from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { STSClient } from '@aws-sdk/client-sts';
import { join } from 'node:path';
import { EksTokenSource } from '../../src/adapters/aws/eksTokenSource';
import { StsS3AccessProber } from '../../src/adapters/aws/stsS3AccessProber';
import { KubernetesServiceAccountApplier } from '../../src/adapters/k8s/kubernetesServiceAccountApplier';
import { KubernetesServiceAccountTokens } from '../../src/adapters/k8s/kubernetesServiceAccountTokens';
import type { CallerIdentity } from '../../src/domain/identity';
import { approveAccessRequest } from '../../src/usecases/decideAccessRequest';
import { provisionGrant } from '../../src/usecases/provisionGrant';
import { submitAccessRequest } from '../../src/usecases/submitAccessRequest';
import { verifyGrant } from '../../src/usecases/verifyGrant';
import { ensureBrokerRbac } from '../harness/kube/rbac.mjs';
import { BROKER_KEY, startEksClusterHarness } from '../support/eksClusterHarness';
import { newCallLog, provisioningDeps } from '../support/provisioningHarness';

// Verification the way the pod does it, against the kube-apiserver harness and moto: TokenRequest for
// the ServiceAccount, AssumeRoleWithWebIdentity into the role, then S3 as the role — with moto's IAM
// enforcement on for the S3 calls. moto's AssumeRoleWithWebIdentity validates no token and crashes
// with enforcement on (HARNESS.md), so the STS client switches enforcement on right after assuming.
// What these tests cannot prove: moto ignores policy conditions (s3:prefix, kms:ViaService, the
// encryption context) and permissions boundaries, and never checks the token against the trust
// policy — a passed verification here shows actions and resources, not conditions or trust.
// Conditions are pinned by tests/unit/domain/bucketStatements.test.ts and makePermissionPolicy's tests.

const root = join(__dirname, '../..');
const developer: CallerIdentity = { subject: 'dev-1', groups: ['developers'], source: 'jwt' };
const approver: CallerIdentity = { subject: 'approver-1', groups: ['approvers'], source: 'jwt' };
const namespace = `verify-${Date.now().toString(36)}`;
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };

type Harness = Awaited<ReturnType<typeof startEksClusterHarness>>;
let harness: Harness;
let kube: Harness['kube'];
let moto: Harness['moto'];
let dynamo: Harness['dynamo'];

beforeAll(async () => {
  harness = await startEksClusterHarness(root);
  ({ kube, moto, dynamo } = harness);
  await ensureBrokerRbac(kube, { namespaces: [namespace] });
}, 45 * 60_000);
afterAll(async () => harness?.stop());

/** moto's switch: "0" enforces IAM from the next call on; a large count turns it off again. */
const setEnforcement = (on: boolean) => fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: 'POST', body: on ? '0' : '1000000000' });
afterEach(async () => setEnforcement(false));

/** Real adapters; the STS client switches enforcement on once the role is assumed. */
function deps(afterProvisioning = true) {
  const base = provisioningDeps(moto.endpoint, dynamo.endpoint, newCallLog(), {
    delivery: { allowApply: true, createNamespaces: false, allowAdoption: false },
    verification: { afterProvisioning, writeProbe: false },
  });
  const eksTokens = new EksTokenSource(async () => BROKER_KEY);
  const applier = new KubernetesServiceAccountApplier(eksTokens);
  const prober = new StsS3AccessProber({
    sts: (region) => {
      const sts = new STSClient({ endpoint: moto.endpoint, region, credentials, maxAttempts: 1 });
      sts.middlewareStack.add(
        (next) => async (args) => {
          const result = await next(args);
          await setEnforcement(true);
          return result;
        },
        { step: 'initialize', name: 'enforceAfterAssume' },
      );
      return sts;
    },
    s3: (region, session) => new S3Client({ endpoint: moto.endpoint, region, credentials: session, forcePathStyle: true, maxAttempts: 1 }),
  });
  return {
    ...base,
    serviceAccounts: async () => applier,
    verifier: async () => ({ tokens: new KubernetesServiceAccountTokens(eksTokens), prober }),
  };
}

async function provisioned(serviceAccount: string, d: ReturnType<typeof deps>, delivery = 'apply') {
  const { id } = await submitAccessRequest(
    {
      cluster: 'harness',
      namespace,
      serviceAccount,
      delivery,
      grants: [{ type: 's3', bucket: 'acme-invoices', prefix: 'exports/', level: 'read' }],
    },
    developer,
    d,
  );
  await approveAccessRequest(id, approver, undefined, d);
  return provisionGrant(id, d);
}

describe('verification against the kube-apiserver harness and moto with IAM enforcement', () => {
  it('runs TokenRequest → AssumeRoleWithWebIdentity → S3 right after provisioning and records passed', async () => {
    const record = await provisioned('invoice-reader', deps());

    expect(record.status).toBe('active');
    expect(record.verification?.outcome).toBe('passed');
    expect(record.verification?.checks.map((check) => [check.step, check.result])).toEqual([
      ['token', 'passed'],
      ['assume-role', 'passed'],
      ['s3:ListBucket', 'passed'],
      // NoSuchKey for the probe key: S3 says so only to a caller allowed to read.
      ['s3:GetObject', 'passed'],
    ]);
    expect(record.events.at(-1)).toMatchObject({ type: 'verified', reason: 'passed', from: 'active', to: 'active' });
  });

  it('records failed with the AWS error when the policy was changed behind the broker’s back', async () => {
    const d = deps(false);
    const record = await provisioned('tampered-reader', d);
    await new IAMClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials }).send(
      new CreatePolicyVersionCommand({
        PolicyArn: record.plan.permissionPolicy!.arn,
        SetAsDefault: true,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-reports/*' }],
        }),
      }),
    );

    const verified = await verifyGrant(record.id, developer, d, { attempts: 1, startingDelayMs: 0 });

    expect(verified.verification?.outcome).toBe('failed');
    const failed = verified.verification!.checks.filter((check) => check.result === 'failed');
    expect(failed.map((check) => [check.step, check.code])).toEqual([
      ['s3:ListBucket', 'AccessDenied'],
      ['s3:GetObject', 'AccessDenied'],
    ]);
    expect(verified.events.at(-1)).toMatchObject({ type: 'verified', reason: expect.stringContaining('failed: s3:ListBucket') });
  });

  it('says what it could not verify while a manifest-delivered ServiceAccount is not in the cluster', async () => {
    const record = await provisioned('not-applied-yet', deps(), 'manifest');

    expect(record.verification?.outcome).toBe('partial');
    expect(record.verification?.checks.map((check) => [check.step, check.result, check.code])).toEqual([
      ['token', 'skipped', 'SERVICE_ACCOUNT_MISSING'],
      ['assume-role', 'skipped', 'NO_TOKEN'],
      ['s3:ListBucket', 'skipped', 'NO_TOKEN'],
      ['s3:GetObject', 'skipped', 'NO_TOKEN'],
    ]);
    expect(record.verification?.checks[0]?.message).toContain('apply the manifest');
  });
});
