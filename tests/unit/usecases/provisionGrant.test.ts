import { approveAccessRequest } from '../../../src/usecases/decideAccessRequest';
import type { AccessRequestInput } from '../../../src/domain/accessRequest';
import { NotFoundError } from '../../../src/domain/errors';
import { makeTrustPolicy } from '../../../src/domain/makeTrustPolicy';
import type { PolicyDocument } from '../../../src/domain/policyDocument';
import { GrantMode, RequestStatus, type AccessRequestRecord } from '../../../src/domain/requestLifecycle';
import { provisionGrant } from '../../../src/usecases/provisionGrant';
import { submitAccessRequest } from '../../../src/usecases/submitAccessRequest';
import { alice, bob, makeRequestInput, makeRule } from '../../support/accessRequestRecord';
import { makeTestConfig } from '../../support/brokerConfig';
import { FakeClusterDirectory, InMemoryAccessRequestStore, makeFakeProvisioningDeps, type FakeProvisioningDeps } from '../../support/fakes';

const HOUR_MS = 3_600_000;
const SQS_READ_ONLY = 'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess';
const OLD_DOCUMENT: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-invoices/old/*' }],
};

/** Provisioning on, and a payments rule that approves every S3 grant and the SQS policy by itself. */
function provisioningConfig(overrides: Parameters<typeof makeTestConfig>[0] = {}) {
  const rule = makeRule({
    autoApprove: [{ s3Levels: ['read', 'write', 'read-write', 'list'], bucketPatterns: ['*'], managedPolicyArns: [SQS_READ_ONLY] }],
  });
  return makeTestConfig({ approvalRules: [rule], provisioning: { enabled: true }, ...overrides });
}

function fakeDeps(options: Parameters<typeof makeFakeProvisioningDeps>[1] = {}): FakeProvisioningDeps {
  return makeFakeProvisioningDeps(provisioningConfig(), options);
}

/** An approved request in the store, waiting for provisioning, as submitting it leaves it. */
async function approvedGrant(deps: FakeProvisioningDeps, request: Partial<AccessRequestInput> = {}): Promise<AccessRequestRecord> {
  const record = await submitAccessRequest(makeRequestInput(request), alice, deps);
  if (record.status !== RequestStatus.Approved) throw new Error(`expected an approved request, got ${record.status}`);
  return record;
}

/** Tags of an IAM object the broker made for another request. */
function tagsOfRequest(record: AccessRequestRecord, requestId: string) {
  return record.plan.permissionPolicy!.tags.map((tag) => (tag.Key === 'irsa-broker:request-id' ? { ...tag, Value: requestId } : tag));
}

/** Another worker writes the request just before this one's `raceAt`-th write. */
/** A store where, at its `raceAt`-th write, someone else writes the record first (changed by `other`). */
class RacingStore extends InMemoryAccessRequestStore {
  private writes = 0;

  constructor(
    private readonly raceAt: number,
    private readonly other: (record: AccessRequestRecord) => AccessRequestRecord = (record) => record,
  ) {
    super();
  }

  override async replace(record: AccessRequestRecord, expectedVersion: number): Promise<void> {
    if (++this.writes === this.raceAt) {
      const stored = this.stored(record.id);
      this.records.set(record.id, { ...this.other(stored), version: stored.version + 1 });
    }
    return super.replace(record, expectedVersion);
  }
}

describe('provisionGrant', () => {
  it('makes exactly CreatePolicy, CreateRole and AttachRolePolicy for a fresh grant', async () => {
    // Arrange
    const deps = fakeDeps();
    const { id, plan } = await approvedGrant(deps);

    // Act
    await provisionGrant(id, deps);

    // Assert
    expect(deps.iam.writes()).toEqual(['createPolicy', 'createRole', 'attachPolicy']);
    expect(deps.iam.calls.find((call) => call.method === 'attachPolicy')?.args).toEqual([plan.role.name, plan.permissionPolicy?.arn]);
  });

  it('reads nothing it has just created: the only read of a fresh grant is the OIDC provider check', async () => {
    // Arrange
    const deps = fakeDeps();
    const { id } = await approvedGrant(deps);

    // Act
    await provisionGrant(id, deps);

    // Assert
    expect(deps.iam.callNames()).toEqual(['oidcProviderExists', 'createPolicy', 'createRole', 'attachPolicy']);
    expect(deps.clusters.calls).toEqual(['dev']);
  });

  it('checks the OIDC provider once per cold start, not once per grant', async () => {
    // Arrange
    const deps = fakeDeps();
    const first = await approvedGrant(deps);
    const second = await approvedGrant(deps, { serviceAccount: 'report-builder' });
    await provisionGrant(first.id, deps);
    deps.iam.forgetCalls();

    // Act
    await provisionGrant(second.id, deps);

    // Assert
    expect(deps.iam.callNames()).not.toContain('oidcProviderExists');
  });

  it("creates the role of the workload and the grant's own policy, tagged with the request's id", async () => {
    // Arrange
    const deps = fakeDeps();
    const { id, plan } = await approvedGrant(deps);

    // Act
    await provisionGrant(id, deps);

    // Assert
    const role = deps.iam.roles.get(plan.role.name);
    expect(role).toMatchObject({
      arn: plan.role.arn,
      trustPolicy: plan.role.trustPolicy,
      permissionsBoundaryArn: plan.role.permissionsBoundaryArn,
    });
    expect(role?.tags.map((tag) => tag.Key)).not.toContain('irsa-broker:request-id');
    expect(role?.tags).toContainEqual({ Key: 'irsa-broker:service-account', Value: 'invoice-exporter' });
    const policy = deps.iam.policies.get(plan.permissionPolicy?.arn ?? '');
    expect(policy?.tags).toContainEqual({ Key: 'irsa-broker:request-id', Value: id });
    expect(policy?.versions).toEqual([{ versionId: 'v1', isDefault: true, document: plan.permissionPolicy?.document }]);
    expect(deps.iam.attachments.get(plan.role.name)).toEqual([plan.permissionPolicy?.arn]);
  });

  it('leaves the grant active and provisioned, ending durationHours after activation', async () => {
    // Arrange
    const deps = fakeDeps();
    const { id, plan } = await approvedGrant(deps, { durationHours: 12 });
    deps.clock.advanceHours(1);

    // Act
    const active = await provisionGrant(id, deps);

    // Assert
    const now = deps.clock.now();
    expect(active.status).toBe(RequestStatus.Active);
    expect(active.activatedAt).toBe(now.toISOString());
    expect(active.expiresAt).toBe(new Date(now.getTime() + 12 * HOUR_MS).toISOString());
    expect(active.grant).toEqual({
      mode: GrantMode.Provisioned,
      note: 'IAM role and policy created by irsa-broker',
      roleArn: plan.role.arn,
      policyArn: plan.permissionPolicy?.arn,
    });
    expect(deps.store.stored(id)).toEqual(active);
  });

  it('writes each AWS change ahead (intended, then made), between provisioning-started and activated', async () => {
    // Arrange
    const deps = fakeDeps();
    const { id, plan } = await approvedGrant(deps);

    // Act
    const active = await provisionGrant(id, deps);

    // Assert
    expect((await deps.store.trail(id)).map((event) => [event.seq, event.type, event.reason])).toEqual([
      [1, 'submitted', undefined],
      [2, 'auto-approved', 'fits auto-approval condition 1 of rule payments'],
      [3, 'provisioning-started', 'attempt 1'],
      [4, 'change-intended', `CreatePolicy ${plan.permissionPolicy?.arn}`],
      [5, 'aws-change', `CreatePolicy ${plan.permissionPolicy?.arn}`],
      [6, 'change-intended', `CreateRole ${plan.role.arn}`],
      [7, 'aws-change', `CreateRole ${plan.role.arn}`],
      [8, 'change-intended', `AttachRolePolicy ${plan.role.arn} ${plan.permissionPolicy?.arn}`],
      [9, 'aws-change', `AttachRolePolicy ${plan.role.arn} ${plan.permissionPolicy?.arn}`],
      [10, 'activated', `role ${plan.role.arn} ready`],
    ]);
    expect(active.provisioning).toMatchObject({
      attempts: 1,
      policyCreated: true,
      roleCreated: true,
      attached: [plan.permissionPolicy?.arn],
    });
  });

  it('attaches allow-listed managed policies after its own policy', async () => {
    // Arrange
    const deps = fakeDeps();
    const { id, plan } = await approvedGrant(deps, {
      grants: [
        { type: 'managed-policy', arn: SQS_READ_ONLY },
        { type: 's3', bucket: 'acme-invoices', level: 'read' },
      ],
    });

    // Act
    await provisionGrant(id, deps);

    // Assert
    expect(deps.iam.attachments.get(plan.role.name)).toEqual([plan.permissionPolicy?.arn, SQS_READ_ONLY]);
  });

  it('creates no policy of its own for a grant of managed policies only', async () => {
    // Arrange
    const deps = fakeDeps();
    const { id } = await approvedGrant(deps, { grants: [{ type: 'managed-policy', arn: SQS_READ_ONLY }] });

    // Act
    await provisionGrant(id, deps);

    // Assert
    expect(deps.iam.writes()).toEqual(['createRole', 'attachPolicy']);
  });

  it('makes no call at all on a second run of an active grant', async () => {
    // Arrange
    const deps = fakeDeps();
    const { id } = await approvedGrant(deps);
    const active = await provisionGrant(id, deps);
    deps.iam.forgetCalls();
    deps.clusters.calls.length = 0;

    // Act
    const again = await provisionGrant(id, deps);

    // Assert
    expect(deps.iam.calls).toEqual([]);
    expect(deps.clusters.calls).toEqual([]);
    expect(again).toEqual(active);
    expect(deps.store.stored(id).version).toBe(active.version);
  });

  it('recreates its own policy, without a policy version, when the live one says something else', async () => {
    // Arrange: the grant's policy exists with another document, in five versions.
    const deps = fakeDeps();
    const record = await approvedGrant(deps);
    const policy = record.plan.permissionPolicy!;
    deps.iam.seedPolicy(policy.arn, policy.tags, [OLD_DOCUMENT, OLD_DOCUMENT, OLD_DOCUMENT, OLD_DOCUMENT, OLD_DOCUMENT], 0);

    // Act
    const result = await provisionGrant(record.id, deps);

    // Assert: no CreatePolicyVersion (the broker holds no such permission); the same ARN with the planned document.
    expect(result.status).toBe(RequestStatus.Active);
    expect(deps.iam.writes()).toEqual([
      'createPolicy',
      'deletePolicyVersion',
      'deletePolicyVersion',
      'deletePolicyVersion',
      'deletePolicyVersion',
      'deletePolicy',
      'createPolicy',
      'createRole',
      'attachPolicy',
    ]);
    expect(deps.iam.policies.get(policy.arn)?.versions.map((version) => version.document)).toEqual([policy.document]);
  });

  it('adds no version when the live policy already says the same, in any key order', async () => {
    // Arrange
    const deps = fakeDeps();
    const record = await approvedGrant(deps);
    const policy = record.plan.permissionPolicy!;
    const reordered = { Statement: policy.document.Statement, Version: policy.document.Version } as PolicyDocument;
    deps.iam.seedPolicy(policy.arn, policy.tags, [reordered]);

    // Act
    await provisionGrant(record.id, deps);

    // Assert
    expect(deps.iam.writes()).toEqual(['createPolicy', 'createRole', 'attachPolicy']);
  });

  it('puts back the trust policy of its own role when it differs', async () => {
    // Arrange
    const deps = fakeDeps();
    const record = await approvedGrant(deps);
    const { role } = record.plan;
    const widened = makeTrustPolicy({
      partition: 'aws',
      accountId: '111122223333',
      issuerUrl: record.plan.cluster.oidcIssuer,
      namespace: 'payments',
      serviceAccount: 'invoice-exporter',
      serviceAccountPattern: 'inv*',
    });
    deps.iam.seedRole({
      name: role.name,
      path: role.path,
      trustPolicy: widened,
      tags: role.tags,
      permissionsBoundaryArn: role.permissionsBoundaryArn,
    });

    // Act
    const result = await provisionGrant(record.id, deps);

    // Assert
    expect(result.status).toBe(RequestStatus.Active);
    expect(deps.iam.writes()).toEqual(['createPolicy', 'createRole', 'updateTrustPolicy', 'attachPolicy']);
    expect(deps.iam.calls.find((call) => call.method === 'updateTrustPolicy')?.args).toEqual([role.name, role.trustPolicy]);
    expect(deps.iam.roles.get(role.name)?.trustPolicy).toEqual(role.trustPolicy);
    expect((await deps.store.trail(record.id)).map((event) => event.reason)).toContain(
      `UpdateAssumeRolePolicy ${role.arn} (trust differed)`,
    );
  });

  it('puts back the permissions boundary of its own role when it differs', async () => {
    // Arrange
    const deps = fakeDeps();
    const record = await approvedGrant(deps);
    const { role } = record.plan;
    deps.iam.seedRole({ name: role.name, path: role.path, trustPolicy: role.trustPolicy, tags: role.tags });

    // Act
    await provisionGrant(record.id, deps);

    // Assert
    expect(deps.iam.writes()).toEqual(['createPolicy', 'createRole', 'putPermissionsBoundary', 'attachPolicy']);
    expect(deps.iam.roles.get(role.name)?.permissionsBoundaryArn).toBe(role.permissionsBoundaryArn);
  });

  it('attaches only what an existing role of its own is missing', async () => {
    // Arrange
    const deps = fakeDeps();
    const record = await approvedGrant(deps, {
      grants: [
        { type: 's3', bucket: 'acme-invoices', level: 'read' },
        { type: 'managed-policy', arn: SQS_READ_ONLY },
      ],
    });
    const { role } = record.plan;
    deps.iam.seedRole({
      name: role.name,
      path: role.path,
      trustPolicy: role.trustPolicy,
      tags: role.tags,
      permissionsBoundaryArn: role.permissionsBoundaryArn,
    });
    deps.iam.attachments.set(role.name, [SQS_READ_ONLY]);

    // Act
    await provisionGrant(record.id, deps);

    // Assert
    const attaches = deps.iam.calls.filter((call) => call.method === 'attachPolicy').map((call) => call.args[1]);
    expect(attaches).toEqual([record.plan.permissionPolicy?.arn]);
  });

  it('fails with FOREIGN_IAM_OBJECT, touching nothing, when a same-named role is not the broker’s', async () => {
    // Arrange
    const deps = fakeDeps();
    const record = await approvedGrant(deps);
    const { role } = record.plan;
    const foreign = deps.iam.seedRole({
      name: role.name,
      path: role.path,
      trustPolicy: OLD_DOCUMENT,
      tags: [{ Key: 'owner', Value: 'data-team' }],
    });

    // Act
    const failed = await provisionGrant(record.id, deps);

    // Assert
    expect(failed.status).toBe(RequestStatus.Failed);
    expect(failed.provisioning?.lastError).toMatchObject({ code: 'FOREIGN_IAM_OBJECT' });
    expect(deps.iam.roles.get(role.name)).toEqual(foreign);
    expect(deps.iam.writes()).toEqual(['createPolicy', 'createRole']);
  });

  it('fails with IAM_OBJECT_OWNED_BY_ANOTHER_REQUEST when the policy belongs to another grant', async () => {
    // Arrange
    const deps = fakeDeps();
    const record = await approvedGrant(deps);
    const policy = record.plan.permissionPolicy!;
    deps.iam.seedPolicy(policy.arn, tagsOfRequest(record, 'req-0999'), [OLD_DOCUMENT]);

    // Act
    const failed = await provisionGrant(record.id, deps);

    // Assert
    expect(failed.provisioning?.lastError).toMatchObject({ code: 'IAM_OBJECT_OWNED_BY_ANOTHER_REQUEST' });
    expect(deps.iam.writes()).toEqual(['createPolicy']);
    expect(deps.iam.policies.get(policy.arn)?.versions).toHaveLength(1);
  });

  it('fails with MANAGED_POLICY_NOT_ALLOWED, before any write, when config took the policy off the allow-list after approval', async () => {
    // Arrange
    const deps = fakeDeps();
    const { id } = await approvedGrant(deps, { grants: [{ type: 'managed-policy', arn: SQS_READ_ONLY }] });
    const withoutIt = { ...deps, config: { ...deps.config, allowedManagedPolicyArns: [] } };

    // Act
    const failed = await provisionGrant(id, withoutIt);

    // Assert
    expect(failed.status).toBe(RequestStatus.Failed);
    expect(failed.provisioning?.lastError?.code).toBe('MANAGED_POLICY_NOT_ALLOWED');
    expect(deps.iam.writes()).toEqual([]);
  });

  it('fails with CLUSTER_ISSUER_CHANGED, before any IAM call, when the cluster has a new issuer', async () => {
    // Arrange
    const clusters = new FakeClusterDirectory({ dev: 'https://oidc.eks.eu-west-1.amazonaws.com/id/NEWISSUER0000000000000000EXAMPLE' });
    const deps = fakeDeps({ clusters });
    const { id } = await approvedGrant(deps);

    // Act
    const failed = await provisionGrant(id, deps);

    // Assert
    expect(failed.status).toBe(RequestStatus.Failed);
    expect(failed.provisioning?.lastError?.code).toBe('CLUSTER_ISSUER_CHANGED');
    expect(failed.provisioning?.lastError?.message).toContain('NEWISSUER');
    expect(failed.events.at(-1)).toMatchObject({ type: 'failed', from: 'provisioning', to: 'failed' });
    expect(deps.iam.calls).toEqual([]);
  });

  it('treats the same issuer with a trailing slash as unchanged', async () => {
    // Arrange
    const clusters = new FakeClusterDirectory({ dev: 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE/' });
    const deps = fakeDeps({ clusters });
    const { id } = await approvedGrant(deps);

    // Act
    const result = await provisionGrant(id, deps);

    // Assert
    expect(result.status).toBe(RequestStatus.Active);
  });

  it('fails with OIDC_PROVIDER_MISSING when IAM does not know the issuer and may not create it', async () => {
    // Arrange
    const deps = fakeDeps();
    deps.iam.oidcProviders.clear();
    const { id } = await approvedGrant(deps);

    // Act
    const failed = await provisionGrant(id, deps);

    // Assert
    expect(failed.provisioning?.lastError?.code).toBe('OIDC_PROVIDER_MISSING');
    expect(deps.iam.writes()).toEqual([]);
  });

  it('creates the OIDC provider first when config allows it', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(provisioningConfig({ provisioning: { enabled: true, createOidcProvider: true } }));
    deps.iam.oidcProviders.clear();
    const { id, plan } = await approvedGrant(deps);

    // Act
    const active = await provisionGrant(id, deps);

    // Assert
    expect(active.status).toBe(RequestStatus.Active);
    expect(deps.iam.writes()).toEqual(['createOidcProvider', 'createPolicy', 'createRole', 'attachPolicy']);
    expect(deps.iam.oidcProviders.has(plan.cluster.oidcProviderArn)).toBe(true);
  });

  it('completes a failed grant on retry, verifying the finished steps with reads', async () => {
    // Arrange
    const deps = fakeDeps();
    const record = await approvedGrant(deps);
    const { role } = record.plan;
    deps.iam.seedRole({ name: role.name, path: role.path, trustPolicy: OLD_DOCUMENT, tags: [] });
    await provisionGrant(record.id, deps);
    deps.iam.roles.delete(role.name);
    deps.iam.forgetCalls();

    // Act
    const active = await provisionGrant(record.id, deps);

    // Assert
    expect(active.status).toBe(RequestStatus.Active);
    expect(active.provisioning).toMatchObject({ attempts: 2, lastError: undefined });
    expect(deps.iam.writes()).toEqual(['createRole', 'attachPolicy']);
    expect(deps.iam.callNames()).toContain('findPolicy');
    expect(
      (await deps.store.trail(record.id)).filter((event) => event.type === 'provisioning-started').map((event) => event.reason),
    ).toEqual(['attempt 1', 'attempt 2']);
  });

  it('goes on after a lost race with a write that leaves the run its request (a notifier, an event)', async () => {
    // Arrange
    const deps = { ...fakeDeps(), store: new RacingStore(3) };
    const { id } = await approvedGrant(deps);

    // Act
    const active = await provisionGrant(id, deps);

    // Assert
    expect(active.status).toBe(RequestStatus.Active);
  });

  it('stops before its next change, failing nothing, when another run took the request over', async () => {
    // Arrange: as the run writes its first intent, another attempt starts.
    const takeOver = (record: AccessRequestRecord) => ({ ...record, provisioning: { ...record.provisioning, attempts: 2 } });
    const deps = { ...fakeDeps(), store: new RacingStore(2, takeOver) };
    const { id } = await approvedGrant(deps);

    // Act
    const outcome = await provisionGrant(id, deps);

    // Assert
    expect(outcome.status).toBe(RequestStatus.Provisioning);
    expect(deps.store.stored(id).provisioning?.attempts).toBe(2);
    expect(deps.iam.writes()).toEqual([]);
  });

  it('refuses a request that is still pending with ILLEGAL_TRANSITION, calling nothing', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(makeTestConfig({ approvalRules: [makeRule()], provisioning: { enabled: true } }));
    const { id } = await submitAccessRequest(makeRequestInput(), alice, deps);

    // Act
    const outcome = provisionGrant(id, deps);

    // Assert
    await expect(outcome).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION', details: { current: 'pending' } });
    expect(deps.iam.calls).toEqual([]);
  });

  it('refuses an unknown id with ACCESS_REQUEST_NOT_FOUND', async () => {
    // Arrange
    const deps = fakeDeps();

    // Act
    const outcome = provisionGrant('req-9999', deps);

    // Assert
    await expect(outcome).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('provisionGrant with buckets unchecked at submit', () => {
  const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const unchecked = { status: 'unchecked', code: 'SlowDown', message: 'slow down' } as const;

  it('checks them again and fails the grant, creating nothing, when the bucket turns out missing', async () => {
    const deps = fakeDeps();
    deps.buckets.facts.set('acme-invoices', unchecked);
    const { id } = await approvedGrant(deps);
    deps.buckets.facts.set('acme-invoices', { status: 'missing' });
    const record = await provisionGrant(id, deps);
    expect([record.status, record.provisioning?.lastError?.code]).toEqual(['failed', 'BUCKET_NOT_FOUND']);
    expect(deps.iam.writes()).toEqual([]);
  });

  it('never grants a KMS key the approver did not see: fails with BUCKET_KMS_KEY_NOT_PLANNED', async () => {
    const deps = fakeDeps();
    deps.buckets.facts.set('acme-invoices', unchecked);
    const { id } = await approvedGrant(deps);
    deps.buckets.facts.set('acme-invoices', {
      status: 'found',
      region: 'eu-west-1',
      owner: '111122223333',
      encryption: { type: 'SSE-KMS', kmsKeyArn: KEY, bucketKeyEnabled: false },
      policy: { text: null },
    });
    const record = await provisionGrant(id, deps);
    expect([record.status, record.provisioning?.lastError?.code]).toEqual(['failed', 'BUCKET_KMS_KEY_NOT_PLANNED']);
  });

  it('goes ahead when S3 still does not answer, and reads only the unchecked buckets', async () => {
    const deps = fakeDeps();
    deps.buckets.facts.set('acme-invoices', unchecked);
    const { id } = await approvedGrant(deps);
    const before = deps.buckets.calls.length;
    expect((await provisionGrant(id, deps)).status).toBe('active');
    expect(deps.buckets.calls.slice(before).map((call) => call.bucket)).toEqual(['acme-invoices']);
  });

  it('records the second look in the audit trail, checked or still unchecked', async () => {
    const deps = fakeDeps();
    deps.buckets.facts.set('acme-invoices', unchecked);
    const { id } = await approvedGrant(deps);
    await provisionGrant(id, deps);
    const rechecked = (await deps.store.trail(id)).filter((event) => event.type === 'buckets-rechecked');
    expect(rechecked.map((event) => event.reason)).toEqual([
      'bucket pre-flight again (unchecked at submit): acme-invoices still unchecked',
    ]);
  });
});

describe('approveAccessRequest', () => {
  it('refuses, with 422 MANAGED_POLICY_NOT_ALLOWED, an approval of a grant config took off the allow-list after submit', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(makeTestConfig({ approvalRules: [makeRule()], provisioning: { enabled: true } }));
    const { id } = await submitAccessRequest(makeRequestInput({ grants: [{ type: 'managed-policy', arn: SQS_READ_ONLY }] }), alice, deps);
    const withoutIt = { ...deps, config: { ...deps.config, allowedManagedPolicyArns: [] } };

    // Act
    const refused = approveAccessRequest(id, bob, 'ok', withoutIt);

    // Assert
    await expect(refused).rejects.toMatchObject({ code: 'MANAGED_POLICY_NOT_ALLOWED', kind: 'invalid' });
    expect((await deps.store.get(id))?.status).toBe(RequestStatus.Pending);
  });
});

describe('provisionGrant in a spoke account', () => {
  const spokeConfig = () =>
    provisioningConfig({
      hubAccountId: '111122223333',
      clusters: [
        {
          name: 'dev',
          region: 'eu-west-1',
          accountId: '111122223333',
          oidcIssuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
        },
        {
          name: 'prod',
          region: 'eu-west-1',
          accountId: '444455556666',
          oidcIssuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE0A1B2C3D4E5F60718293A4B5C',
          permissionsBoundaryArn: 'arn:aws:iam::444455556666:policy/irsa-broker-boundary',
        },
      ],
      accounts: { '444455556666': {} },
    });

  it('creates the role in the spoke account, through a session named after the grant', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(spokeConfig());
    const spokeIam = deps.accounts.iamOf('444455556666');
    for (const cluster of deps.config.clusters) {
      if (cluster.accountId === '444455556666')
        spokeIam.oidcProviders.add(`arn:aws:iam::444455556666:oidc-provider/${cluster.oidcIssuer!.slice(8)}`);
    }
    const { id } = await approvedGrant(deps, { cluster: 'prod' });

    // Act
    const active = await provisionGrant(id, deps);

    // Assert
    expect(active.status).toBe(RequestStatus.Active);
    expect(spokeIam.roles.has(active.plan.role.name)).toBe(true);
    expect(deps.iam.writes()).toEqual([]);
    expect(deps.accounts.requested).toContainEqual({ accountId: '444455556666', sessionId: id });
  });

  it('fails with PROVISIONER_ROLE_UNASSUMABLE, naming the account, and writes nothing anywhere, when the spoke does not trust the hub', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(spokeConfig());
    deps.accounts.unassumable.add('444455556666');
    const { id } = await approvedGrant(deps, { cluster: 'prod' });

    // Act
    const failed = await provisionGrant(id, deps);

    // Assert
    expect(failed.status).toBe(RequestStatus.Failed);
    expect(failed.provisioning?.lastError?.code).toBe('PROVISIONER_ROLE_UNASSUMABLE');
    expect(failed.provisioning?.lastError?.message).toContain('444455556666');
    expect([...deps.iam.writes(), ...deps.accounts.iamOf('444455556666').writes()]).toEqual([]);
  });
});
