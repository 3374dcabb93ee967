import type { AccessRequestInput } from '../../../src/domain/accessRequest';
import { ConflictError } from '../../../src/domain/errors';
import { SYSTEM_IDENTITY } from '../../../src/domain/identity';
import type { PolicyDocument } from '../../../src/domain/policyDocument';
import { GrantMode, RequestStatus, type AccessRequestRecord } from '../../../src/domain/requestLifecycle';
import { provisionGrant } from '../../../src/usecases/provisionGrant';
import { removeGrant } from '../../../src/usecases/removeGrant';
import { submitAccessRequest } from '../../../src/usecases/submitAccessRequest';
import { alice, bob, makeRequestInput, makeRule } from '../../support/accessRequestRecord';
import { makeTestConfig } from '../../support/brokerConfig';
import { makeFakeProvisioningDeps, type FakeProvisioningDeps } from '../../support/fakes';

const SQS_READ_ONLY = 'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess';
const OTHER_DOCUMENT: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::acme-invoices/old/*' }],
};

/** Config whose payments rule approves every S3 grant and the SQS policy by itself. */
function configWith(provisioningEnabled: boolean) {
  const rule = makeRule({
    autoApprove: [{ s3Levels: ['read', 'write', 'read-write', 'list'], bucketPatterns: ['*'], managedPolicyArns: [SQS_READ_ONLY] }],
  });
  return makeTestConfig({ approvalRules: [rule], provisioning: { enabled: provisioningEnabled } });
}

/** A grant submitted, auto-approved and provisioned into the fake IAM; calls made so far are forgotten. */
async function provisionedGrant(deps: FakeProvisioningDeps, request: Partial<AccessRequestInput> = {}): Promise<AccessRequestRecord> {
  const { id } = await submitAccessRequest(makeRequestInput(request), alice, deps);
  const record = await provisionGrant(id, deps);
  deps.iam.forgetCalls();
  return record;
}

/** Tags of an IAM object the broker made for another request. */
function tagsOfRequest(record: AccessRequestRecord, requestId: string) {
  return record.plan.permissionPolicy!.tags.map((tag) => (tag.Key === 'irsa-broker:request-id' ? { ...tag, Value: requestId } : tag));
}

describe('removeGrant', () => {
  it('detaches, then deletes the role and the policy of a provisioned grant, and revokes it', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(configWith(true));
    const record = await provisionedGrant(deps);
    const { role, permissionPolicy } = record.plan;

    // Act
    const revoked = await removeGrant(record, RequestStatus.Revoked, bob, 'project ended', deps);

    // Assert
    expect(deps.iam.writes()).toEqual(['detachPolicy', 'deleteRole', 'deletePolicy']);
    expect(deps.iam.roles.size).toBe(0);
    expect(deps.iam.policies.size).toBe(0);
    expect(revoked.status).toBe(RequestStatus.Revoked);
    const trail = await deps.store.trail(record.id);
    const ending = trail.findIndex((event) => event.type === 'ending');
    expect(
      trail.slice(ending).map((event) => [event.type, event.type === 'ending' ? event.comment : (event.reason ?? event.comment)]),
    ).toEqual([
      ['ending', 'project ended'],
      ['change-intended', `DetachRolePolicy ${role.arn} ${permissionPolicy?.arn}`],
      ['aws-change', `DetachRolePolicy ${role.arn} ${permissionPolicy?.arn}`],
      ['change-intended', `DeleteRole ${role.arn}`],
      ['aws-change', `DeleteRole ${role.arn}`],
      ['change-intended', `DeletePolicy ${permissionPolicy?.arn}`],
      ['aws-change', `DeletePolicy ${permissionPolicy?.arn}`],
      ['revoked', 'project ended'],
    ]);
    expect(trail.at(-1)?.actor.subject).toBe('bob');
    expect(deps.store.stored(record.id)).toEqual(revoked);
  });

  it('detaches managed policies too, but never deletes them', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(configWith(true));
    const record = await provisionedGrant(deps, {
      grants: [
        { type: 's3', bucket: 'acme-invoices', level: 'read' },
        { type: 'managed-policy', arn: SQS_READ_ONLY },
      ],
    });

    // Act
    await removeGrant(record, RequestStatus.Revoked, bob, undefined, deps);

    // Assert
    const detached = deps.iam.calls.filter((call) => call.method === 'detachPolicy').map((call) => call.args[1]);
    const deleted = deps.iam.calls.filter((call) => call.method === 'deletePolicy').map((call) => call.args[0]);
    expect(detached).toEqual([record.plan.permissionPolicy?.arn, SQS_READ_ONLY]);
    expect(deleted).toEqual([record.plan.permissionPolicy?.arn]);
  });

  it('deletes the non-default policy versions before the policy', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(configWith(true));
    const record = await provisionedGrant(deps);
    const policyArn = record.plan.permissionPolicy!.arn;
    const policy = deps.iam.policies.get(policyArn)!;
    policy.versions = [
      { versionId: 'v1', isDefault: false, document: OTHER_DOCUMENT },
      { versionId: 'v2', isDefault: false, document: OTHER_DOCUMENT },
      { versionId: 'v3', isDefault: true, document: record.plan.permissionPolicy!.document },
    ];

    // Act
    await removeGrant(record, RequestStatus.Revoked, bob, undefined, deps);

    // Assert
    expect(deps.iam.writes().filter((write) => write.startsWith('deletePolicy'))).toEqual([
      'deletePolicyVersion',
      'deletePolicyVersion',
      'deletePolicy',
    ]);
    expect(deps.iam.policies.has(policyArn)).toBe(false);
  });

  it('leaves alone a same-named role the broker does not manage, deleting only the policy it made', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(configWith(true));
    const { id, plan } = await submitAccessRequest(makeRequestInput(), alice, deps);
    const foreign = deps.iam.seedRole({
      name: plan.role.name,
      path: plan.role.path,
      trustPolicy: OTHER_DOCUMENT,
      tags: [{ Key: 'owner', Value: 'data-team' }],
    });
    const failed = await provisionGrant(id, deps);
    deps.iam.forgetCalls();

    // Act
    const revoked = await removeGrant(failed, RequestStatus.Revoked, alice, undefined, deps);

    // Assert
    expect(failed.provisioning?.lastError?.code).toBe('FOREIGN_IAM_OBJECT');
    expect(revoked.status).toBe(RequestStatus.Revoked);
    expect(deps.iam.writes()).toEqual(['deletePolicy']);
    expect(deps.iam.roles.get(plan.role.name)).toEqual(foreign);
  });

  it('leaves alone a role and policy the broker made for another request', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(configWith(true));
    const submitted = await submitAccessRequest(makeRequestInput(), alice, deps);
    const { role, permissionPolicy } = submitted.plan;
    const otherTags = tagsOfRequest(submitted, 'req-0999');
    deps.iam.seedRole({
      name: role.name,
      path: role.path,
      trustPolicy: role.trustPolicy,
      tags: otherTags,
      permissionsBoundaryArn: role.permissionsBoundaryArn,
    });
    deps.iam.seedPolicy(permissionPolicy!.arn, otherTags, [permissionPolicy!.document]);
    deps.iam.attachments.set(role.name, [permissionPolicy!.arn]);
    const failed = await provisionGrant(submitted.id, deps);
    deps.iam.forgetCalls();

    // Act
    const revoked = await removeGrant(failed, RequestStatus.Revoked, alice, undefined, deps);

    // Assert
    expect(failed.provisioning?.lastError?.code).toBe('IAM_OBJECT_OWNED_BY_ANOTHER_REQUEST');
    expect(revoked.status).toBe(RequestStatus.Revoked);
    expect(deps.iam.writes()).toEqual([]);
    expect(deps.iam.roles.has(role.name)).toBe(true);
    expect(deps.iam.policies.has(permissionPolicy!.arn)).toBe(true);
    expect(deps.iam.attachments.get(role.name)).toEqual([permissionPolicy!.arn]);
  });

  it('refuses with POLICY_STILL_ATTACHED, and stays revoking, while the policy is attached elsewhere', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(configWith(true));
    const record = await provisionedGrant(deps);
    const policyArn = record.plan.permissionPolicy!.arn;
    deps.iam.attachments.set('user/someone-else', [policyArn]);

    // Act
    const outcome = removeGrant(record, RequestStatus.Revoked, bob, undefined, deps);

    // Assert
    await expect(outcome).rejects.toBeInstanceOf(ConflictError);
    await expect(outcome).rejects.toMatchObject({ code: 'POLICY_STILL_ATTACHED' });
    await expect(outcome).rejects.toThrow('attached to 1 other principal(s)');
    expect(deps.iam.policies.has(policyArn)).toBe(true);
    expect(deps.iam.writes()).not.toContain('deletePolicy');
    expect(deps.store.stored(record.id).status).toBe(RequestStatus.Revoking);
  });

  it('finishes on a retry once the other attachment is gone', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(configWith(true));
    const record = await provisionedGrant(deps);
    const policyArn = record.plan.permissionPolicy!.arn;
    deps.iam.attachments.set('user/someone-else', [policyArn]);
    await removeGrant(record, RequestStatus.Revoked, bob, undefined, deps).catch(() => undefined);
    deps.iam.attachments.delete('user/someone-else');
    deps.iam.forgetCalls();

    // Act
    const revoked = await removeGrant(deps.store.stored(record.id), RequestStatus.Revoked, bob, undefined, deps);

    // Assert
    expect(revoked.status).toBe(RequestStatus.Revoked);
    expect(deps.iam.writes()).toEqual(['deletePolicy']);
    expect(deps.iam.policies.size).toBe(0);
  });

  it('makes no IAM call for a plan-only grant', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(configWith(false));
    const record = await submitAccessRequest(makeRequestInput(), alice, deps);

    // Act
    const revoked = await removeGrant(record, RequestStatus.Revoked, alice, undefined, deps);

    // Assert
    expect(record.grant?.mode).toBe(GrantMode.PlanOnly);
    expect(deps.iam.calls).toEqual([]);
    expect(revoked.status).toBe(RequestStatus.Revoked);
  });

  it('expires a grant as the broker, saying its duration ended', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(configWith(true));
    const record = await provisionedGrant(deps);

    // Act
    const expired = await removeGrant(record, RequestStatus.Expired, SYSTEM_IDENTITY, undefined, deps);

    // Assert
    expect(expired.status).toBe(RequestStatus.Expired);
    expect(expired.events.at(-1)).toMatchObject({ type: 'expired', actor: { subject: 'irsa-broker' }, reason: 'grant duration ended' });
    expect(deps.iam.roles.size).toBe(0);
  });
});
