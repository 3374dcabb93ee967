import { join } from 'node:path';
import type { CallerIdentity } from '../../src/domain/identity';
import { RequestStatus } from '../../src/domain/requestLifecycle';
import { approveAccessRequest } from '../../src/usecases/decideAccessRequest';
import { submitAccessRequest } from '../../src/usecases/submitAccessRequest';
import { useMotoAndDynamo } from '../support/motoAndDynamo';
import { newCallLog, provisioningDeps } from '../support/provisioningHarness';
import { readTrail } from '../support/trail';

// Ten approvers press approve at the same moment on a rule that needs ten: every approval counts
// (each lost race on the request's version re-reads and applies again), against dynalite's real
// conditional writes.

const root = join(__dirname, '../..');
const developer: CallerIdentity = { subject: 'dev-1', groups: ['developers'], source: 'jwt' };
const APPROVERS = 10;
const servers = useMotoAndDynamo(root);

describe('concurrent approvals', () => {
  it(`counts all ${APPROVERS} approvals made at once on a rule that needs ${APPROVERS}`, async () => {
    // Arrange
    const base = provisioningDeps(servers.moto.endpoint, servers.dynamo.endpoint, newCallLog());
    const rule = { ...base.config.approvalRules[0]!, requiredApprovals: APPROVERS };
    const deps = { ...base, config: { ...base.config, approvalRules: [rule] } };
    const { id } = await submitAccessRequest(
      {
        cluster: 'harness',
        namespace: 'payments',
        serviceAccount: `quorum-${Date.now().toString(36)}`,
        grants: [{ type: 's3', bucket: 'acme-invoices', level: 'read' }],
      },
      developer,
      deps,
    );
    const approvers: CallerIdentity[] = Array.from({ length: APPROVERS }, (_, index) => ({
      subject: `approver-${index}`,
      groups: ['approvers'],
      source: 'jwt',
    }));

    // Act
    const outcomes = await Promise.allSettled(approvers.map((approver) => approveAccessRequest(id, approver, undefined, deps)));

    // Assert
    expect(
      outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => String((outcome as PromiseRejectedResult).reason)),
    ).toEqual([]);
    const record = (await deps.store.get(id))!;
    expect(record.status).toBe(RequestStatus.Approved);
    expect(record.approvals.map((approval) => approval.subject).sort()).toEqual(approvers.map((approver) => approver.subject).sort());
    const trail = await readTrail(deps.store, id);
    expect(trail.filter((event) => event.type === 'approval' || event.type === 'approved')).toHaveLength(APPROVERS);
  });
});
