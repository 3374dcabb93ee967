import { makeWorkloadOutlook } from '../../../src/domain/workloadOutlook';
import { submittedReply, workloadLines } from '../../../src/domain/slackMessages';
import { assertSameTrust, attachmentsOf, attachmentsToRemove, newWorkload, withGrant, workloadGrantOf } from '../../../src/domain/workload';
import { makeAccessRequestRecord } from '../../support/accessRequestRecord';

const SQS = 'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess';
const grant = (requestId: string, policyArn: string | undefined, managedPolicyArns: string[] = []) => ({
  requestId,
  status: 'active' as const,
  ...(policyArn ? { policyArn } : {}),
  managedPolicyArns,
});

describe('attachmentsOf', () => {
  it("lists each grant's own policy, then each managed policy once", () => {
    expect(attachmentsOf([grant('a', 'pa', [SQS]), grant('b', 'pb', [SQS]), grant('c', undefined, [SQS])])).toEqual(['pa', 'pb', SQS]);
  });
});

describe('attachmentsToRemove', () => {
  it('takes only the leaving grant’s policy when another grant still needs the managed one', () => {
    expect(attachmentsToRemove([grant('a', 'pa', [SQS])], grant('b', 'pb', [SQS]))).toEqual(['pb']);
  });

  it('takes the managed policy with the last grant that needs it', () => {
    expect(attachmentsToRemove([grant('a', 'pa')], grant('b', 'pb', [SQS]))).toEqual(['pb', SQS]);
  });
});

describe('assertSameTrust', () => {
  it('refuses a request whose subject differs from the workload’s, with 409 WORKLOAD_TRUST_MISMATCH', () => {
    expect(() =>
      assertSameTrust('system:serviceaccount:p:exporter', { subject: 'system:serviceaccount:p:exp*' }, 'dev/p/exporter'),
    ).toThrow(expect.objectContaining({ code: 'WORKLOAD_TRUST_MISMATCH', kind: 'conflict' }));
  });
});

describe('makeWorkloadOutlook', () => {
  const record = makeAccessRequestRecord();
  const plan = record.plan;

  it('says what a request adds to a workload with a grant, counting the grant', () => {
    const outlook = makeWorkloadOutlook(
      { key: 'dev/payments/invoice-exporter', subject: plan.subject, grants: [grant('a', 'pa', [SQS])], open: [] },
      plan,
      'b',
      10,
    );
    expect(outlook).toMatchObject({ exists: true, grants: [{ requestId: 'a' }], usage: { attachedPolicies: { current: 2, limit: 10 } } });
    expect(outlook.usage.attachedPolicies.used).toBe(
      2 + (plan.permissionPolicy ? 1 : 0) + plan.managedPolicyArns.filter((arn) => arn !== SQS).length,
    );
  });

  it('counts open requests too, so that approving them all can never exceed the quota', () => {
    const open = Array.from({ length: 3 }, (_, index) => ({ id: `open-${index}`, plan }));
    expect(() => makeWorkloadOutlook({ key: 'k', subject: undefined, grants: [], open }, plan, 'new', 3)).toThrow(
      expect.objectContaining({ code: 'ROLE_ATTACHED_POLICIES_LIMIT', details: { limit: 3, actual: 4 + plan.managedPolicyArns.length } }),
    );
  });

  it('leaves the request itself out of the count when it is already open (a re-plan)', () => {
    const outlook = makeWorkloadOutlook({ key: 'k', grants: [], open: [{ id: 'same', plan }] }, plan, 'same', 10);
    expect(outlook.openRequests).toEqual([]);
  });
});

describe('Slack workload messages', () => {
  const record = makeAccessRequestRecord();
  const workload = withGrant(
    withGrant(
      newWorkload(record.plan, 'payments', 'invoice-exporter', new Date('2030-01-01T00:00:00Z')),
      workloadGrantOf('other', record.plan, 'active'),
    ),
    workloadGrantOf(record.id, record.plan, 'provisioning'),
  );

  it('tells a requester that the ServiceAccount already has grants, and that theirs change none of them', () => {
    const blocks = JSON.stringify(submittedReply(record, workload).blocks);
    expect(blocks).toContain('already has 1 grant(s)');
    expect(JSON.stringify(submittedReply(record).blocks)).not.toContain('already has');
  });

  it('lists the workload’s grants for /irsa status', () => {
    expect(workloadLines(workload)).toContain('`other` active');
    expect(workloadLines(workload)).toContain(`\`${record.id}\` provisioning`);
  });
});
