import type { PolicyDocument } from '../../../src/domain/policyDocument';
import { RequestStatus } from '../../../src/domain/requestLifecycle';
import { provisionGrant } from '../../../src/usecases/provisionGrant';
import { reconcileGrants } from '../../../src/usecases/reconcileGrants';
import { submitAccessRequest } from '../../../src/usecases/submitAccessRequest';
import { alice, makeRequestInput, makeRule } from '../../support/accessRequestRecord';
import { makeTestConfig } from '../../support/brokerConfig';
import { makeFakeProvisioningDeps } from '../../support/fakes';

const DRIFTED: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::acme-invoices/*' }],
};

function deps(repairDrift: boolean) {
  const rule = makeRule({
    autoApprove: [{ s3Levels: ['read', 'write', 'read-write', 'list'], bucketPatterns: ['*'], managedPolicyArns: [] }],
  });
  return makeFakeProvisioningDeps(makeTestConfig({ approvalRules: [rule], provisioning: { enabled: true, repairDrift } }));
}

describe('reconcileGrants', () => {
  it("repairs a drifted policy document within IAM's five versions", async () => {
    // Arrange: a provisioned grant whose policy someone changed until it holds five versions
    const fakes = deps(true);
    const { id } = await submitAccessRequest(makeRequestInput(), alice, fakes);
    const active = await provisionGrant(id, fakes);
    expect(active.status).toBe(RequestStatus.Active);
    const policy = active.plan.permissionPolicy!;
    fakes.iam.seedPolicy(policy.arn, policy.tags, [policy.document, DRIFTED, DRIFTED, DRIFTED, DRIFTED], 4);

    // Act
    const report = await reconcileGrants(fakes);

    // Assert
    expect(report.drifted).toEqual([{ id, drift: [{ what: 'policy-document', detail: policy.arn }], repaired: true }]);
    const versions = fakes.iam.policies.get(policy.arn)!.versions;
    expect(versions).toHaveLength(5);
    expect(versions.find((version) => version.isDefault)?.document).toEqual(policy.document);
    expect(report.failures).toEqual([]);
  });

  it('only reports drift when config does not allow repairs', async () => {
    // Arrange
    const fakes = deps(false);
    const { id } = await submitAccessRequest(makeRequestInput(), alice, fakes);
    const active = await provisionGrant(id, fakes);
    const policy = active.plan.permissionPolicy!;
    fakes.iam.seedPolicy(policy.arn, policy.tags, [policy.document, DRIFTED], 1);
    fakes.iam.calls.length = 0;

    // Act
    const report = await reconcileGrants(fakes);

    // Assert
    expect(report.drifted).toEqual([{ id, drift: [{ what: 'policy-document', detail: policy.arn }], repaired: false }]);
    expect(fakes.iam.calls.map((call) => call.method).filter((method) => !/^(find|list|count)/.test(method))).toEqual([]);
    expect((await fakes.store.get(id))!.events.at(-1)).toMatchObject({ type: 'drift-detected' });
  });

  it('records drift when it appears, changes and clears, and writes nothing on passes that find the same', async () => {
    // Arrange: a provisioned grant, reconciled hourly without repairs
    const fakes = deps(false);
    const { id } = await submitAccessRequest(makeRequestInput(), alice, fakes);
    const active = await provisionGrant(id, fakes);
    const policy = active.plan.permissionPolicy!;
    const driftTypes = async () =>
      (await fakes.store.trail(id)).filter((event) => event.type.startsWith('drift-')).map((event) => [event.type, event.reason]);

    // Act: clean, drifted three times, drifted more, back to clean twice
    await reconcileGrants(fakes);
    fakes.iam.seedPolicy(policy.arn, policy.tags, [policy.document, DRIFTED], 1);
    for (let pass = 0; pass < 3; pass++) await reconcileGrants(fakes);
    const versionAfterDrift = fakes.store.stored(id).version;
    await fakes.iam.detachPolicy(active.plan.role.name, policy.arn);
    await reconcileGrants(fakes);
    fakes.iam.seedPolicy(policy.arn, policy.tags, [policy.document]);
    await fakes.iam.attachPolicy(active.plan.role.name, policy.arn);
    await reconcileGrants(fakes);
    await reconcileGrants(fakes);

    // Assert
    expect(await driftTypes()).toEqual([
      ['drift-detected', `policy-document: ${policy.arn}`],
      ['drift-detected', `policy-document: ${policy.arn}; attachment-missing: ${policy.arn}`],
      ['drift-cleared', 'no drift'],
    ]);
    expect(versionAfterDrift).toBe(active.version + 1);
    expect(fakes.store.stored(id).driftFingerprint).toBeUndefined();
  });

  it('repairs recurring drift each time it recurs, but records drift it cannot repair only once', async () => {
    // Arrange: repairs on; someone keeps editing the policy back, and the role is gone
    const fakes = deps(true);
    const { id } = await submitAccessRequest(makeRequestInput(), alice, fakes);
    const active = await provisionGrant(id, fakes);
    const policy = active.plan.permissionPolicy!;

    // Act
    for (let pass = 0; pass < 2; pass++) {
      fakes.iam.seedPolicy(policy.arn, policy.tags, [policy.document, DRIFTED], 1);
      await reconcileGrants(fakes);
    }
    fakes.iam.roles.delete(active.plan.role.name);
    for (let pass = 0; pass < 3; pass++) await reconcileGrants(fakes);

    // Assert
    const types = (await fakes.store.trail(id)).map((event) => event.type).filter((type) => type.startsWith('drift-'));
    expect(types).toEqual(['drift-detected', 'drift-repaired', 'drift-detected', 'drift-repaired', 'drift-detected']);
  });
});
