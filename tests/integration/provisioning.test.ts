import { CreateRoleCommand, GetRoleCommand, IAMClient, ListPoliciesCommand } from '@aws-sdk/client-iam';
import { join } from 'node:path';
import { useMotoAndDynamo } from '../support/motoAndDynamo';
import type { CallerIdentity } from '../../src/domain/identity';
import { findDrift, reconcileGrants } from '../../src/usecases/reconcileGrants';
import { approveAccessRequest } from '../../src/usecases/decideAccessRequest';
import { provisionGrant } from '../../src/usecases/provisionGrant';
import { revokeAccessRequest } from '../../src/usecases/revokeAccessRequest';
import { submitAccessRequest } from '../../src/usecases/submitAccessRequest';
import { retryAccessRequest } from '../../src/usecases/retryAccessRequest';
import { expireGrants } from '../../src/usecases/expireGrants';
import {
  brokerObjects,
  createHarnessBuckets,
  newCallLog,
  provisioningDeps,
  withReconcile,
  type IamCallLog,
} from '../support/provisioningHarness';
import { readTrail } from '../support/trail';

const root = join(__dirname, '../..');
const developer: CallerIdentity = { subject: 'dev-1', groups: ['developers'], source: 'jwt' };
const approver: CallerIdentity = { subject: 'approver-1', groups: ['approvers'], source: 'jwt' };

const servers = useMotoAndDynamo(root);

function request(serviceAccount: string, extra: Record<string, unknown> = {}) {
  return {
    cluster: 'harness',
    namespace: 'payments',
    serviceAccount,
    grants: [{ type: 's3', bucket: 'acme-invoices', prefix: 'exports/', level: 'read-write' }],
    ...extra,
  };
}

/** Submits and approves; returns the id of a request waiting for the provisioning function. */
async function approvedRequest(
  deps: ReturnType<typeof provisioningDeps>,
  serviceAccount: string,
  extra?: Record<string, unknown>,
): Promise<string> {
  const { id } = await submitAccessRequest(request(serviceAccount, extra), developer, deps);
  const approved = await approveAccessRequest(id, approver, 'ok', deps);
  expect(approved.status).toBe('approved');
  expect(deps.queued).toContain(id);
  return id;
}

describe('provisioning against moto', () => {
  it('creates exactly one policy, one role and one attachment, with the planned trust', async () => {
    const log = newCallLog();
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, log);
    const id = await approvedRequest(deps, 'invoice-exporter');
    log.calls.length = 0;

    const record = await provisionGrant(id, deps);

    expect(record.status).toBe('active');
    expect(record.grant).toMatchObject({
      mode: 'provisioned',
      roleArn: record.plan.role.arn,
      policyArn: record.plan.permissionPolicy?.arn,
    });
    expect(log.writes()).toEqual(['CreatePolicy', 'CreateRole', 'AttachRolePolicy']);
    expect(log.calls).toEqual(['GetOpenIDConnectProvider', 'CreatePolicy', 'CreateRole', 'AttachRolePolicy']);
    const live = await brokerObjects(servers.moto.endpoint);
    expect(live.roles.map((role) => role.RoleName)).toEqual([record.plan.role.name]);
    expect(live.policies.map((policy) => policy.Arn)).toEqual([record.plan.permissionPolicy?.arn]);
    expect(live.attachments).toEqual({ [record.plan.role.name]: [record.plan.permissionPolicy?.arn] });
    const role = await new IAMClient({
      endpoint: servers.moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }).send(new GetRoleCommand({ RoleName: record.plan.role.name }));
    expect(JSON.parse(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!))).toEqual(record.plan.role.trustPolicy);
    expect(role.Role!.PermissionsBoundary?.PermissionsBoundaryArn).toBe('arn:aws:iam::123456789012:policy/irsa-broker-boundary');
    expect(record.plan.cluster.oidcIssuer).toBe('https://oidc.harness.local/id/harness');

    const changes = (await readTrail(deps.store, id))
      .filter((event) => event.type === 'aws-change')
      .map((event) => event.reason?.split(' ')[0]);
    expect(changes).toEqual(['CreatePolicy', 'CreateRole', 'AttachRolePolicy']);
  });

  it('makes no write on a second run, and finds no drift', async () => {
    const log = newCallLog();
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, log);
    const id = await approvedRequest(deps, 'second-run');
    const first = await provisionGrant(id, deps);
    log.calls.length = 0;

    const again = await provisionGrant(id, deps);
    expect(again.version).toBe(first.version);
    expect(await findDrift(again, deps)).toEqual([]);
    expect(log.writes()).toEqual([]);
  });

  const freshGrantCalls = ['GetOpenIDConnectProvider', 'CreatePolicy', 'CreateRole', 'AttachRolePolicy'];
  for (const when of ['before', 'after'] as const) {
    it.each(freshGrantCalls.map((call, index) => [index + 1, call]))(
      `completes with no orphan after a fault ${when} IAM call %i (%s)`,
      async (at) => {
        const failing: IamCallLog = { ...newCallLog(), failAt: { at: at as number, when } };
        const failingDeps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, failing);
        const id = await approvedRequest(failingDeps, `fault-${when}-${at}`);
        failing.calls.length = 0;

        const failed = await provisionGrant(id, failingDeps);
        expect(failed.status).toBe('failed');
        expect(failed.provisioning?.lastError?.message).toContain('injected fault');

        const healthy = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
        await retryAccessRequest(id, approver, healthy);
        expect(healthy.queued).toEqual([id]);
        const done = await provisionGrant(id, healthy);
        expect(done.status).toBe('active');

        const live = await brokerObjects(servers.moto.endpoint);
        expect(live.roles.map((role) => role.RoleName)).toEqual([done.plan.role.name]);
        expect(live.policies.map((policy) => policy.Arn)).toEqual([done.plan.permissionPolicy?.arn]);
        expect(live.attachments[done.plan.role.name]).toEqual([done.plan.permissionPolicy?.arn]);
        expect(await findDrift(done, healthy)).toEqual([]);
      },
    );
  }

  it('revokes leaving nothing that carries the broker tag', async () => {
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    const id = await approvedRequest(deps, 'short-lived', {
      grants: [
        { type: 's3', bucket: 'acme-invoices', level: 'read' },
        { type: 'managed-policy', arn: 'arn:aws:iam::123456789012:policy/shared-sqs-reader' },
      ],
    });
    const active = await provisionGrant(id, deps);
    expect(active.status).toBe('active');
    expect((await brokerObjects(servers.moto.endpoint)).attachments[active.plan.role.name]).toHaveLength(2);

    const revoked = await revokeAccessRequest(id, developer, 'done', deps);

    expect(revoked.status).toBe('revoked');
    const live = await brokerObjects(servers.moto.endpoint);
    expect(live.roles).toEqual([]);
    expect(live.policies).toEqual([]);
    // The shared managed policy was only detached, never deleted: the broker did not create it.
    const shared = await new IAMClient({
      endpoint: servers.moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }).send(new ListPoliciesCommand({ Scope: 'Local' }));
    expect(shared.Policies?.map((policy) => policy.PolicyName)).toContain('shared-sqs-reader');
    const removals = (await readTrail(deps.store, id))
      .filter((event) => event.type === 'aws-change')
      .map((event) => event.reason?.split(' ')[0]);
    expect(removals).toEqual(expect.arrayContaining(['DetachRolePolicy', 'DeleteRole', 'DeletePolicy']));
    // Revoking twice is a clear conflict, not a second round of deletes.
    await expect(revokeAccessRequest(id, developer, undefined, deps)).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });

  it('refuses a same-named foreign role and leaves it untouched', async () => {
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    const { plan } = await submitAccessRequest(request('legacy-app'), developer, deps);
    const iam = new IAMClient({
      endpoint: servers.moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const foreignTrust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    };
    await iam.send(
      new CreateRoleCommand({ RoleName: plan.role.name, Path: '/irsa-broker/', AssumeRolePolicyDocument: JSON.stringify(foreignTrust) }),
    );

    const id = await approvedRequest(deps, 'legacy-app');
    const failed = await provisionGrant(id, deps);

    expect(failed.status).toBe('failed');
    expect(failed.provisioning?.lastError?.code).toBe('FOREIGN_IAM_OBJECT');
    const role = await iam.send(new GetRoleCommand({ RoleName: plan.role.name }));
    expect(JSON.parse(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!))).toEqual(foreignTrust);
    expect((await brokerObjects(servers.moto.endpoint)).attachments[plan.role.name]).toEqual([]);
    // Revoking the failed grant removes its own policy and leaves the foreign role alone.
    await revokeAccessRequest(id, developer, undefined, deps);
    const live = await brokerObjects(servers.moto.endpoint);
    expect(live.policies).toEqual([]);
    expect(live.roles.map((entry) => entry.RoleName)).toEqual([plan.role.name]);
  });

  it('fails with a precise error when the OIDC provider is missing and may not be created', async () => {
    await servers.moto.reset();
    const { EKSClient, CreateClusterCommand } = await import('@aws-sdk/client-eks');
    await new EKSClient({
      endpoint: servers.moto.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    }).send(
      new CreateClusterCommand({
        name: 'harness',
        roleArn: 'arn:aws:iam::123456789012:role/eks',
        resourcesVpcConfig: { subnetIds: ['subnet-1'] },
      }),
    );
    await createHarnessBuckets(servers.moto.endpoint);
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    const id = await approvedRequest(deps, 'no-provider');
    const failed = await provisionGrant(id, deps);
    expect(failed.provisioning?.lastError).toMatchObject({ code: 'OIDC_PROVIDER_MISSING' });
    expect(failed.provisioning?.lastError?.message).toContain('provisioning.createOidcProvider');
    expect((await brokerObjects(servers.moto.endpoint)).roles).toEqual([]);
  });

  it('reconciles drift: records it and repairs the trust policy', async () => {
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    const id = await approvedRequest(deps, 'drifter');
    const active = await provisionGrant(id, deps);
    await deps.iam.updateTrustPolicy(active.plan.role.name, {
      ...active.plan.role.trustPolicy,
      Statement: [{ ...active.plan.role.trustPolicy.Statement[0]!, Condition: {} }],
    });

    const report = await reconcileGrants(withReconcile(deps, servers.dynamo.endpoint));

    expect(report.drifted.find((entry) => entry.id === id)).toEqual({
      id,
      drift: [{ what: 'trust-policy', detail: active.plan.role.arn, outcome: 'repaired' }],
    });
    const after = (await deps.store.get(id))!;
    expect((await readTrail(deps.store, id)).slice(-3).map((event) => event.type)).toEqual([
      'drift-detected',
      'change-intended',
      'drift-repaired',
    ]);
    expect(await findDrift(after, deps)).toEqual([]);
  });
  it('expires grants past their duration and pending requests past their timeout, removing what was created', async () => {
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    const id = await approvedRequest(deps, 'one-hour', { durationHours: 1 });
    const active = await provisionGrant(id, deps);
    const { id: waiting } = await submitAccessRequest(request('never-approved'), developer, deps);
    const later = { ...deps, clock: { now: () => new Date(Date.now() + 4 * 24 * 3_600_000) } };

    const report = await expireGrants(later);

    expect(report.expiredGrants).toContain(id);
    expect(report.expiredPending).toContain(waiting);
    expect(report.failures).toEqual([]);
    expect((await deps.store.get(id))?.status).toBe('expired');
    expect((await deps.store.get(waiting))?.status).toBe('expired');
    const live = await brokerObjects(servers.moto.endpoint);
    expect(live.roles.map((role) => role.RoleName)).not.toContain(active.plan.role.name);
    expect(live.policies.map((policy) => policy.Arn)).not.toContain(active.plan.permissionPolicy?.arn);
  });
});
