import { join } from 'node:path';
import { GetRoleCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import type { CallerIdentity } from '../../src/domain/identity';
import { RequestStatus, type AccessRequestRecord } from '../../src/domain/requestLifecycle';
import { approveAccessRequest } from '../../src/usecases/decideAccessRequest';
import { expireGrants } from '../../src/usecases/expireGrants';
import { provisionGrant } from '../../src/usecases/provisionGrant';
import { reconcileGrants } from '../../src/usecases/reconcileGrants';
import { revokeAccessRequest } from '../../src/usecases/revokeAccessRequest';
import { submitAccessRequest } from '../../src/usecases/submitAccessRequest';
import { sweepRequests } from '../../src/usecases/sweepRequests';
import { useMotoAndDynamo } from '../support/motoAndDynamo';
import { brokerObjects, newCallLog, provisioningDeps, withReconcile, type IamCallLog } from '../support/provisioningHarness';
import { readTrail } from '../support/trail';

// Revoke racing a retry, a reconcile pass and the expiry sweep, 20 runs each against moto and
// dynalite: the revoke (or the expiry) always ends the grant, and nothing it created is left in IAM —
// not recreated by the retry, not re-attached by a repair.

const root = join(__dirname, '../..');
const developer: CallerIdentity = { subject: 'dev-1', groups: ['developers'], source: 'jwt' };
const approver: CallerIdentity = { subject: 'approver-1', groups: ['approvers'], source: 'jwt' };
const RUNS = 20;
let serial = 0;

const servers = useMotoAndDynamo(root);

type Deps = ReturnType<typeof provisioningDeps>;

function deps(log: IamCallLog = newCallLog(), offsetMs = 0): Deps {
  const base = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, log, {
    provisioning: { enabled: true, createOidcProvider: false, repairDrift: true, failedGrantHours: 24 },
  });
  return offsetMs ? { ...base, clock: { now: () => new Date(Date.now() + offsetMs) } } : base;
}

async function approvedRequest(d: Deps): Promise<string> {
  const body = {
    cluster: 'harness',
    namespace: 'payments',
    serviceAccount: `racer-${++serial}`,
    grants: [{ type: 's3', bucket: 'acme-invoices', level: 'read' }],
  };
  const { id } = await submitAccessRequest(body, developer, d);
  await approveAccessRequest(id, approver, undefined, d);
  return id;
}

/** Lets one side start a little before the other, differently each run. */
const jitter = (run: number) => new Promise((resolve) => setTimeout(resolve, (run * 37) % 60));

/** Whatever is left unfinished (a revoke that met a busy workload) is finished by the sweep, later. */
async function settle(id: string): Promise<AccessRequestRecord> {
  const later = deps(newCallLog(), 10 * 60_000);
  for (let pass = 0; pass < 3; pass++) {
    const record = (await later.store.get(id))!;
    if (record.status !== RequestStatus.Revoking) return record;
    await sweepRequests(later);
  }
  return (await later.store.get(id))!;
}

async function expectNothingLeft(record: AccessRequestRecord): Promise<void> {
  const objects = await brokerObjects(servers.moto.endpoint);
  expect(objects.roles.map((role) => role.RoleName)).not.toContain(record.plan.role.name);
  expect(objects.policies.map((policy) => policy.Arn)).not.toContain(record.plan.permissionPolicy?.arn);
  const trail = await readTrail(deps().store, record.id);
  // The trail has no intent left open.
  expect(record.provisioning?.intent).toBeUndefined();
  expect(trail.at(-1)?.type).toBe(record.status);
}

describe('revoke wins', () => {
  it(`over a retry of a failed grant (${RUNS} runs)`, async () => {
    for (let run = 0; run < RUNS; run++) {
      // Arrange: the grant fails after its role was made and attached (the reply to AttachRolePolicy is lost).
      const log = newCallLog();
      let lost = false;
      log.observe = async (command) => {
        if (command === 'AttachRolePolicy' && !lost) {
          lost = true;
          throw Object.assign(new Error('reply lost'), { name: 'InjectedFault' });
        }
      };
      const d = deps(log);
      const id = await approvedRequest(d);
      expect((await provisionGrant(id, d)).status).toBe(RequestStatus.Failed);

      // Act: the retry's provisioning run and a revoke, at once.
      const [retried, revoked] = await Promise.allSettled([
        provisionGrant(id, d),
        jitter(run).then(() => revokeAccessRequest(id, approver, 'race', d)),
      ]);

      // Assert
      expect(revoked.status).toBe('fulfilled');
      expect(retried.status === 'fulfilled' || (retried.reason as { code?: string }).code).toBeTruthy();
      const final = await settle(id);
      expect(final.status).toBe(RequestStatus.Revoked);
      await expectNothingLeft(final);
    }
  }, 600_000);

  it(`over a reconcile pass repairing drift (${RUNS} runs)`, async () => {
    const iam = new IAMClient({
      endpoint: servers.moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    for (let run = 0; run < RUNS; run++) {
      // Arrange: an active grant whose trust policy was changed behind the broker's back.
      const d = deps();
      const id = await approvedRequest(d);
      const active = await provisionGrant(id, d);
      expect(active.status).toBe(RequestStatus.Active);
      const role = await iam.send(new GetRoleCommand({ RoleName: active.plan.role.name }));
      const trust = JSON.parse(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!)) as { Statement: { Condition: unknown }[] };
      trust.Statement[0]!.Condition = {};
      await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: active.plan.role.name, PolicyDocument: JSON.stringify(trust) }));

      // Act
      const [, revoked] = await Promise.allSettled([
        reconcileGrants(withReconcile(d, servers.dynamo.endpoint)),
        jitter(run).then(() => revokeAccessRequest(id, approver, 'race', d)),
      ]);

      // Assert
      expect(revoked.status).toBe('fulfilled');
      const final = await settle(id);
      expect(final.status).toBe(RequestStatus.Revoked);
      await expectNothingLeft(final);
    }
  }, 600_000);

  it(`over the expiry sweep (${RUNS} runs)`, async () => {
    for (let run = 0; run < RUNS; run++) {
      // Arrange: an active grant whose end has just passed (both sides read the same clock, as Lambdas
      // do: the workload lease's expiry means the same to each).
      const d = deps();
      const id = await approvedRequest(d);
      const active = await provisionGrant(id, d);
      await d.store.replace(
        { ...active, version: active.version + 1, events: [], expiresAt: new Date(Date.now() - 1_000).toISOString() },
        active.version,
      );

      // Act
      const [expired, revoked] = await Promise.allSettled([
        expireGrants(d),
        jitter(run).then(() => revokeAccessRequest(id, approver, 'race', d)),
      ]);

      // Assert: whichever was recorded first ends the grant; the revoke that comes second takes that end up and fails nothing.
      expect(expired.status).toBe('fulfilled');
      const final = await settle(id);
      expect([RequestStatus.Revoked, RequestStatus.Expired]).toContain(final.status);
      expect(revoked.status).toBe('fulfilled');
      await expectNothingLeft(final);
    }
  }, 600_000);
});
