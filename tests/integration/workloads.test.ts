import { IAMClient, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { join } from 'node:path';
import { useMotoAndDynamo } from '../support/motoAndDynamo';
import type { CallerIdentity } from '../../src/domain/identity';
import type { AccessRequestRecord } from '../../src/domain/requestLifecycle';
import { workloadKeyOf } from '../../src/domain/workload';
import { approveAccessRequest } from '../../src/usecases/decideAccessRequest';
import { expireGrants } from '../../src/usecases/expireGrants';
import { provisionGrant } from '../../src/usecases/provisionGrant';
import { findDrift } from '../../src/usecases/reconcileGrants';
import { retryAccessRequest } from '../../src/usecases/retryAccessRequest';
import { revokeAccessRequest } from '../../src/usecases/revokeAccessRequest';
import { submitAccessRequest } from '../../src/usecases/submitAccessRequest';
import { getWorkload } from '../../src/usecases/readWorkloads';
import { brokerObjects, newCallLog, prepareAccount, provisioningDeps, type IamCallLog } from '../support/provisioningHarness';

// A workload (cluster, namespace, ServiceAccount) has one role; each approved request is a grant on
// it. Against moto and dynalite: adding, revoking and expiring one grant never takes a permission
// from another, at any instant.

const root = join(__dirname, '../..');
const developer: CallerIdentity = { subject: 'dev-1', groups: ['developers'], source: 'jwt' };
const approver: CallerIdentity = { subject: 'approver-1', groups: ['approvers'], source: 'jwt' };
const SQS_READER = 'arn:aws:iam::123456789012:policy/shared-sqs-reader';
let serial = 0;

const servers = useMotoAndDynamo(root);

const iam = () =>
  new IAMClient({ endpoint: servers.moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const attachedTo = async (roleName: string) =>
  ((await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? []).map(
    (policy) => policy.PolicyArn!,
  );

/** A fresh workload name per test, so that dynalite's requests of earlier tests never meet it. */
const workloadName = () => `exporter-${++serial}`;

function request(serviceAccount: string, grants: unknown[], extra: Record<string, unknown> = {}) {
  return { cluster: 'harness', namespace: 'payments', serviceAccount, grants, ...extra };
}
const invoices = { type: 's3', bucket: 'acme-invoices', prefix: 'exports/', level: 'read' };
const reports = { type: 's3', bucket: 'acme-reports', level: 'read' };

async function approved(deps: ReturnType<typeof provisioningDeps>, body: unknown): Promise<string> {
  const { id } = await submitAccessRequest(body, developer, deps);
  expect((await approveAccessRequest(id, approver, 'ok', deps)).status).toBe('approved');
  return id;
}

async function activeGrant(deps: ReturnType<typeof provisioningDeps>, body: unknown): Promise<AccessRequestRecord> {
  const record = await provisionGrant(await approved(deps, body), deps);
  expect(record.status).toBe('active');
  return record;
}

describe('grants on one workload', () => {
  it('adds grant B to a workload with grant A: A stays attached after every IAM call, the role ARN never changes', async () => {
    const sa = workloadName();
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    const a = await activeGrant(deps, request(sa, [invoices, { type: 'managed-policy', arn: SQS_READER }]));
    const aPolicy = a.plan.permissionPolicy!.arn;

    const log: IamCallLog = newCallLog();
    const missing: string[] = [];
    log.observe = async (command) => {
      const attached = await attachedTo(a.plan.role.name);
      if (!attached.includes(aPolicy) || !attached.includes(SQS_READER)) missing.push(command);
    };
    const bDeps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, log);
    const b = await activeGrant(bDeps, request(sa, [reports, { type: 'managed-policy', arn: SQS_READER }]));

    expect(log.calls.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
    expect(b.plan.role.arn).toBe(a.plan.role.arn);
    expect(b.plan.serviceAccount.manifest).toEqual(
      a.plan.serviceAccount.manifest === undefined ? undefined : b.plan.serviceAccount.manifest,
    );
    expect(log.writes()).toEqual(['CreatePolicy', 'AttachRolePolicy']);
    expect(await attachedTo(a.plan.role.name)).toEqual(expect.arrayContaining([aPolicy, b.plan.permissionPolicy!.arn, SQS_READER]));
    expect(await findDrift(a, deps)).toEqual([]);
    expect(await findDrift(b, deps)).toEqual([]);

    const workload = await getWorkload({ cluster: 'harness', namespace: 'payments', serviceAccount: sa }, developer, deps);
    expect(workload).toMatchObject({ roleArn: a.plan.role.arn, key: workloadKeyOf('harness', 'payments', sa) });
    expect(workload.grants.map((grant) => [grant.requestId, grant.status])).toEqual([
      [a.id, 'active'],
      [b.id, 'active'],
    ]);
    expect(workload.grants.every((grant) => grant.expiresAt)).toBe(true);
    expect(workload.effectivePermissions.managedPolicyArns).toEqual([SQS_READER]);
    expect(workload.effectivePermissions.statements.flatMap((statement) => [statement.Resource].flat())).toEqual(
      expect.arrayContaining(['arn:aws:s3:::acme-invoices', 'arn:aws:s3:::acme-reports']),
    );
  });

  it('revoking A leaves B working; revoking B, the last, removes role and policies', async () => {
    const sa = workloadName();
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    const a = await activeGrant(deps, request(sa, [invoices, { type: 'managed-policy', arn: SQS_READER }]));
    const b = await activeGrant(deps, request(sa, [reports, { type: 'managed-policy', arn: SQS_READER }]));

    const log = newCallLog();
    const missing: string[] = [];
    log.observe = async (command) => {
      const attached = await attachedTo(b.plan.role.name).catch(() => [] as string[]);
      if (!attached.includes(b.plan.permissionPolicy!.arn) || !attached.includes(SQS_READER)) missing.push(command);
    };
    const revokeDeps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, log);
    expect((await revokeAccessRequest(a.id, developer, 'done', revokeDeps)).status).toBe('revoked');
    expect(missing).toEqual([]);
    expect(log.writes()).toEqual(['DetachRolePolicy', 'DeletePolicy']);
    const after = await brokerObjects(servers.moto.endpoint);
    expect(after.roles.map((role) => role.RoleName)).toEqual([b.plan.role.name]);
    expect(after.policies.map((policy) => policy.Arn)).toEqual([b.plan.permissionPolicy!.arn]);
    expect(after.attachments[b.plan.role.name]).toEqual(expect.arrayContaining([b.plan.permissionPolicy!.arn, SQS_READER]));
    expect(await findDrift(b, deps)).toEqual([]);

    expect((await revokeAccessRequest(b.id, developer, 'done', deps)).status).toBe('revoked');
    const none = await brokerObjects(servers.moto.endpoint);
    expect([none.roles, none.policies]).toEqual([[], []]);
    expect(await deps.workloads.get(workloadKeyOf('harness', 'payments', sa))).toBeUndefined();
  });

  it('the same with expiry: the first grant to expire leaves the other, the last takes the role', async () => {
    const sa = workloadName();
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    const short = await activeGrant(deps, request(sa, [invoices], { durationHours: 1 }));
    const long = await activeGrant(deps, request(sa, [reports], { durationHours: 48 }));
    const later = (hours: number) => ({ ...deps, clock: { now: () => new Date(Date.now() + hours * 3_600_000) } });

    const first = await expireGrants(later(2));
    expect(first.expiredGrants).toContain(short.id);
    expect(first.expiredGrants).not.toContain(long.id);
    expect(await attachedTo(long.plan.role.name)).toEqual([long.plan.permissionPolicy!.arn]);

    const second = await expireGrants(later(49));
    expect(second.expiredGrants).toContain(long.id);
    const none = await brokerObjects(servers.moto.endpoint);
    expect([none.roles, none.policies]).toEqual([[], []]);
  });

  it('approving two grants of one workload at the same moment ends with both active and a consistent role', async () => {
    const sa = workloadName();
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    const ids = [await approved(deps, request(sa, [invoices])), await approved(deps, request(sa, [reports]))];

    const records = await Promise.all(
      ids.map((id) => provisionGrant(id, provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog()))),
    );

    expect(records.map((record) => record.status)).toEqual(['active', 'active']);
    const live = await brokerObjects(servers.moto.endpoint);
    expect(live.roles).toHaveLength(1);
    expect([...live.attachments[records[0]!.plan.role.name]!].sort()).toEqual(
      records.map((record) => record.plan.permissionPolicy!.arn).sort(),
    );
    const workload = await deps.workloads.get(workloadKeyOf('harness', 'payments', sa));
    expect(workload?.grants.map((grant) => grant.status)).toEqual(['active', 'active']);
    expect(workload?.lease).toBeUndefined();
  });

  it('refuses, at submit, a grant that would take the role past its attachment quota — naming the limit and both numbers', async () => {
    const sa = workloadName();
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog(), { managedPoliciesPerRole: 2 });
    await activeGrant(deps, request(sa, [invoices]));
    await submitAccessRequest(request(sa, [reports]), developer, deps); // pending: counted too

    const refused = submitAccessRequest(request(sa, [{ type: 's3', bucket: 'acme-third', level: 'read' }]), developer, deps);

    await expect(refused).rejects.toMatchObject({
      code: 'ROLE_ATTACHED_POLICIES_LIMIT',
      kind: 'invalid',
      details: { limit: 2, actual: 3 },
    });
    await expect(refused).rejects.toThrow("managed policies attached to the workload's role is 3; the limit is 2");
  });

  it('refuses, at submit, a request whose trust differs from the workload’s (409)', async () => {
    const sa = `${workloadName()}-0`;
    const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog(), { allowSubjectPatterns: true });
    await activeGrant(deps, request(sa, [invoices]));

    const refused = submitAccessRequest(request(sa, [reports], { serviceAccountPattern: `${sa.slice(0, -1)}*` }), developer, deps);

    await expect(refused).rejects.toMatchObject({ code: 'WORKLOAD_TRUST_MISMATCH', kind: 'conflict' });
  });
});

describe('a fault at every IAM call of adding and of removing a grant', () => {
  /** IAM calls of adding B to a workload that has A, and of removing B again. */
  async function countCalls(run: (log: IamCallLog) => Promise<unknown>): Promise<number> {
    const log = newCallLog();
    await run(log);
    return log.calls.length;
  }

  it('retries adding B to completion after each fault, with no orphan and A untouched', async () => {
    const probeSa = workloadName();
    const probe = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    await activeGrant(probe, request(probeSa, [invoices]));
    const bId = await approved(probe, request(probeSa, [reports]));
    const calls = await countCalls((log) => provisionGrant(bId, provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, log)));
    expect(calls).toBeGreaterThan(1);

    for (const when of ['before', 'after'] as const) {
      for (let at = 1; at <= calls; at++) {
        await servers.moto.reset();
        await prepareAccount(servers.moto.endpoint);
        const sa = workloadName();
        const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
        const a = await activeGrant(deps, request(sa, [invoices]));
        const id = await approved(deps, request(sa, [reports]));
        const failing: IamCallLog = { ...newCallLog(), failAt: { at, when } };
        const missing: string[] = [];
        failing.observe = async (command) => {
          if (!(await attachedTo(a.plan.role.name)).includes(a.plan.permissionPolicy!.arn)) missing.push(command);
        };

        const failed = await provisionGrant(id, provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, failing));
        expect([when, at, failed.status]).toEqual([when, at, 'failed']);
        await retryAccessRequest(id, approver, deps);
        const done = await provisionGrant(id, deps);

        expect([when, at, done.status, missing]).toEqual([when, at, 'active', []]);
        const live = await brokerObjects(servers.moto.endpoint);
        expect(live.roles).toHaveLength(1);
        expect(live.policies.map((policy) => policy.Arn).sort()).toEqual(
          [a.plan.permissionPolicy!.arn, done.plan.permissionPolicy!.arn].sort(),
        );
        expect([...live.attachments[a.plan.role.name]!].sort()).toEqual(live.policies.map((policy) => policy.Arn!).sort());
      }
    }
  }, 300_000);

  it('retries removing B to completion after each fault, with no orphan and A untouched', async () => {
    const probeSa = workloadName();
    const probe = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    await activeGrant(probe, request(probeSa, [invoices]));
    const b = await activeGrant(probe, request(probeSa, [reports]));
    const calls = await countCalls((log) =>
      revokeAccessRequest(b.id, developer, undefined, provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, log)),
    );
    expect(calls).toBeGreaterThan(1);

    for (const when of ['before', 'after'] as const) {
      for (let at = 1; at <= calls; at++) {
        await servers.moto.reset();
        await prepareAccount(servers.moto.endpoint);
        const sa = workloadName();
        const deps = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
        const a = await activeGrant(deps, request(sa, [invoices]));
        const bGrant = await activeGrant(deps, request(sa, [reports]));
        const failing: IamCallLog = { ...newCallLog(), failAt: { at, when } };
        const missing: string[] = [];
        failing.observe = async (command) => {
          if (!(await attachedTo(a.plan.role.name)).includes(a.plan.permissionPolicy!.arn)) missing.push(command);
        };

        // The fault stops the removal: the revoke is recorded (revoking; answered 202, or the error) and not finished.
        const first = await revokeAccessRequest(
          bGrant.id,
          developer,
          undefined,
          provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, failing),
        ).catch(() => undefined);
        expect(first?.status ?? 'failed').not.toBe('revoked');
        expect((await deps.store.get(bGrant.id))?.status).toBe('revoking');
        const revoked = await revokeAccessRequest(bGrant.id, developer, undefined, deps);

        expect([when, at, revoked.status, missing]).toEqual([when, at, 'revoked', []]);
        const live = await brokerObjects(servers.moto.endpoint);
        expect(live.policies.map((policy) => policy.Arn)).toEqual([a.plan.permissionPolicy!.arn]);
        expect(live.attachments[a.plan.role.name]).toEqual([a.plan.permissionPolicy!.arn]);
        expect(await findDrift(a, deps)).toEqual([]);
      }
    }
  }, 300_000);
});
