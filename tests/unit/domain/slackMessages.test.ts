import { activatePlanOnly, approve, cancel, reject } from '../../../src/domain/decisions';
import { requestExtension } from '../../../src/domain/extensions';
import { SYSTEM_IDENTITY } from '../../../src/domain/identity';
import { AuditEventType, GrantMode, RequestStatus, transition, type AccessRequestRecord } from '../../../src/domain/requestLifecycle';
import { parseSlackCommand } from '../../../src/domain/slackCommand';
import {
  approvalRequestMessage,
  decidedMessage,
  extensionApprovalMessage,
  escapeMrkdwn,
  grantLines,
  grantTimeNotification,
  requestFormToCommandText,
  requesterNotification,
  SlackAction,
  statusLine,
  submittedReply,
} from '../../../src/domain/slackMessages';
import { alice, bob, makeAccessRequestRecord, makeRule } from '../../support/accessRequestRecord';
import { makeTestConfig } from '../../support/brokerConfig';

const NOW = new Date('2030-01-01T10:00:00.000Z');

type FormValues = Parameters<typeof requestFormToCommandText>[0];

/** A submitted request form, as Slack's view_submission carries its values. */
function formValues(fields: Record<string, string | null>): FormValues {
  return Object.fromEntries(Object.entries(fields).map(([block, value]) => [block, { value: { value } }]));
}

function byBroker(record: AccessRequestRecord, to: RequestStatus, reason?: string): AccessRequestRecord {
  return transition(record, to, { type: AuditEventType.AwsChange, actor: SYSTEM_IDENTITY, at: NOW, reason });
}

const approved = () => approve(makeAccessRequestRecord(), makeRule(), bob, NOW);
const provisioning = () => byBroker(approved(), RequestStatus.Provisioning);

interface Button {
  type: string;
  action_id: string;
  value: string;
  text: { text: string };
}

describe('grantLines', () => {
  it('writes one line per grant: S3 with bucket/prefix and level, managed policies by ARN', () => {
    // Arrange
    const record = makeAccessRequestRecord({
      request: {
        grants: [
          { type: 's3', bucket: 'acme-invoices', prefix: 'exports', level: 'read-write' },
          { type: 's3', bucket: 'acme-reports', level: 'list' },
          { type: 'managed-policy', arn: 'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess' },
        ],
      },
    });

    // Act
    const lines = grantLines(record);

    // Assert
    expect(lines.split('\n')).toEqual([
      '• s3 `acme-invoices/exports/` read-write',
      '• s3 `acme-reports/` list',
      '• policy `arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess`',
    ]);
  });
});

describe('submittedReply', () => {
  it('tells the requester the id and status, then summarises the plan', () => {
    // Arrange
    const record = makeAccessRequestRecord({ request: { justification: 'monthly export' }, durationHours: 12 });

    // Act
    const message = submittedReply(record);

    // Assert
    expect(message.text).toBe('Request `req-0001` is pending.');
    const summary = JSON.stringify(message.blocks?.[1]);
    expect(summary).toContain('*dev/payments/invoice-exporter* for 12h');
    expect(summary).toContain(record.plan.role.arn);
    expect(summary).toContain('_monthly export_');
  });
});

describe('approvalRequestMessage', () => {
  it('names the request and the requester by email', () => {
    // Arrange
    const record = makeAccessRequestRecord();

    // Act
    const message = approvalRequestMessage(record);

    // Assert
    expect(message.text).toBe('Access request `req-0001` from alice@example.com needs approval');
  });

  it('names a requester without an email by subject', () => {
    // Arrange
    const record = makeAccessRequestRecord({ requester: { subject: 'okta|alice', groups: ['team-payments'], source: 'jwt' } });

    // Act
    const message = approvalRequestMessage(record);

    // Assert
    expect(message.text).toContain('from okta|alice');
  });

  it('has an Approve and a Reject button, each carrying the request id as its value', () => {
    // Arrange
    const record = makeAccessRequestRecord({ id: 'req-0042' });

    // Act
    const actions = approvalRequestMessage(record).blocks?.find((block) => block.type === 'actions');

    // Assert
    const buttons = actions?.elements as Button[];
    expect(buttons.map((button) => [button.text.text, button.action_id, button.value])).toEqual([
      ['Approve', SlackAction.Approve, 'req-0042'],
      ['Reject', SlackAction.Reject, 'req-0042'],
    ]);
    expect(actions?.block_id).toBe('irsa_decision_req-0042');
  });
});

describe('decidedMessage', () => {
  it('says more approvals are needed while the request is still pending', () => {
    // Arrange
    const rule = makeRule({ requiredApprovals: 2 });
    const record = approve(makeAccessRequestRecord({ rule }), rule, bob, NOW);

    // Act
    const message = decidedMessage(record, 'bob@example.com');

    // Assert
    expect(message.text).toBe('Access request `req-0001`: approval 1 recorded by bob@example.com; more needed');
  });

  it('names the outcome and who decided once the request is decided', () => {
    // Arrange
    const record = reject(makeAccessRequestRecord(), makeRule(), bob, NOW, 'use the shared bucket');

    // Act
    const message = decidedMessage(record, 'bob@example.com');

    // Assert
    expect(message.text).toBe('Access request `req-0001`: rejected by bob@example.com');
  });

  it('replaces the buttons with the plan summary', () => {
    // Arrange
    const record = approved();

    // Act
    const message = decidedMessage(record, 'bob@example.com');

    // Assert
    expect(message.text).toBe('Access request `req-0001`: approved by bob@example.com');
    expect(message.blocks?.some((block) => block.type === 'actions')).toBe(false);
    expect(message.blocks).toHaveLength(2);
  });
});

describe('requesterNotification', () => {
  it('says nothing while the request is pending', () => {
    // Arrange / Act
    const message = requesterNotification(makeAccessRequestRecord());

    // Assert
    expect(message).toBeUndefined();
  });

  it.each([
    ['provisioning', provisioning],
    ['cancelled', () => cancel(makeAccessRequestRecord(), alice, NOW)],
  ])('says nothing for a %s request', (_status, build) => {
    // Arrange / Act
    const message = requesterNotification(build());

    // Assert
    expect(message).toBeUndefined();
  });

  it('says an approved request is being provisioned', () => {
    // Arrange / Act
    const message = requesterNotification(approved());

    // Assert
    expect(message?.text).toBe('Your access request `req-0001` was approved; provisioning has started.');
  });

  it("gives the approver's comment for a rejection", () => {
    // Arrange
    const record = reject(makeAccessRequestRecord(), makeRule(), bob, NOW, 'use the shared bucket');

    // Act
    const message = requesterNotification(record);

    // Assert
    expect(message?.text).toBe('Your access request `req-0001` was rejected: use the shared bucket');
  });

  it('hands over the ServiceAccount manifest for an active plan-only grant, saying the role was not created', () => {
    // Arrange
    const record = activatePlanOnly(approved(), NOW);

    // Act
    const message = requesterNotification(record);

    // Assert
    expect(record.grant?.mode).toBe(GrantMode.PlanOnly);
    expect(message?.text).toContain(`is active until ${record.expiresAt}`);
    expect(message?.text).toContain('(plan only: the IAM role was not created by the broker)');
    expect(message?.text).toContain(`\`\`\`${record.plan.serviceAccount.yaml}\`\`\``);
  });

  it('hands over the manifest without the plan-only note for a provisioned grant delivered as a manifest', () => {
    // Arrange
    const record: AccessRequestRecord = {
      ...byBroker(provisioning(), RequestStatus.Active),
      expiresAt: '2030-01-02T10:00:00.000Z',
      grant: { mode: GrantMode.Provisioned, note: 'created' },
    };

    // Act
    const message = requesterNotification(record);

    // Assert
    expect(message?.text).toContain('Apply this ServiceAccount:');
    expect(message?.text).not.toContain('plan only');
    expect(message?.text).toContain(record.plan.serviceAccount.yaml);
  });

  it('says the ServiceAccount was applied for a provisioned grant delivered by apply', () => {
    // Arrange
    const rule = makeRule();
    const config = makeTestConfig({ approvalRules: [rule], delivery: { allowApply: true } });
    const submitted = makeAccessRequestRecord({ rule, config, request: { delivery: 'apply' } });
    const record: AccessRequestRecord = {
      ...byBroker(byBroker(approve(submitted, rule, bob, NOW), RequestStatus.Provisioning), RequestStatus.Active),
      expiresAt: '2030-01-02T10:00:00.000Z',
      grant: { mode: GrantMode.Provisioned, note: 'created' },
    };

    // Act
    const message = requesterNotification(record);

    // Assert
    expect(message?.text).toBe(
      'Your access request `req-0001` is active until 2030-01-02T10:00:00.000Z. The ServiceAccount was applied to the cluster.',
    );
  });

  it('gives the recorded provisioning error for a failed grant', () => {
    // Arrange
    const record: AccessRequestRecord = {
      ...byBroker(provisioning(), RequestStatus.Failed, 'FOREIGN_IAM_OBJECT: role exists'),
      provisioning: { lastError: { code: 'FOREIGN_IAM_OBJECT', message: 'IAM role irsa-dev.payments.invoice-exporter exists' } },
    };

    // Act
    const message = requesterNotification(record);

    // Assert
    expect(message?.text).toBe('Provisioning of your access request `req-0001` failed: IAM role irsa-dev.payments.invoice-exporter exists');
  });

  it('says an expired grant expired', () => {
    // Arrange
    const active = activatePlanOnly(approved(), NOW);
    const ending = transition(active, RequestStatus.Revoking, { type: AuditEventType.Ending, actor: SYSTEM_IDENTITY, at: NOW });
    const record = transition(ending, RequestStatus.Expired, { type: AuditEventType.Expired, actor: SYSTEM_IDENTITY, at: NOW });

    // Act
    const message = requesterNotification(record);

    // Assert
    expect(message?.text).toBe('Your access request `req-0001` expired.');
  });

  it('gives the comment of a revocation, and none when there was none', () => {
    // Arrange
    const active = activatePlanOnly(approved(), NOW);
    const revoke = (comment?: string) =>
      transition(
        transition(active, RequestStatus.Revoking, { type: AuditEventType.Ending, actor: bob, at: NOW, comment }),
        RequestStatus.Revoked,
        {
          type: AuditEventType.Revoked,
          actor: bob,
          at: NOW,
          comment,
        },
      );

    // Act
    const withComment = requesterNotification(revoke('project ended'));
    const without = requesterNotification(revoke());

    // Assert
    expect(withComment?.text).toBe('Your access grant `req-0001` was revoked: project ended.');
    expect(without?.text).toBe('Your access grant `req-0001` was revoked.');
  });
});

describe('statusLine', () => {
  it('gives id, status and workload on one line', () => {
    // Arrange / Act
    const line = statusLine(makeAccessRequestRecord());

    // Assert
    expect(line).toBe('`req-0001` pending — dev/payments/invoice-exporter');
  });
});

describe('requestFormToCommandText', () => {
  it('writes the form as the one-line command', () => {
    // Arrange
    const values = formValues({
      cluster: 'dev',
      namespace: 'payments',
      serviceAccount: 'invoice-exporter',
      grants: 's3:acme-invoices/exports:read-write\npolicy:arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess',
      duration: '7d',
      justification: 'monthly export',
    });

    // Act
    const text = requestFormToCommandText(values);

    // Assert
    expect(text).toBe(
      'dev/payments/invoice-exporter s3:acme-invoices/exports:read-write policy:arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess for 7d -- monthly export',
    );
  });

  it('round-trips through parseSlackCommand into the request the form describes', () => {
    // Arrange
    const values = formValues({
      cluster: ' dev ',
      namespace: 'payments',
      serviceAccount: 'invoice-exporter',
      grants: '  s3:acme-invoices/exports:read-write \n\n s3:acme-reports:list  ',
      duration: '12h',
      justification: ' monthly export ',
    });

    // Act
    const command = parseSlackCommand(`request ${requestFormToCommandText(values)}`);

    // Assert
    expect(command).toEqual({
      kind: 'request',
      body: {
        cluster: 'dev',
        namespace: 'payments',
        serviceAccount: 'invoice-exporter',
        grants: [
          { type: 's3', bucket: 'acme-invoices', prefix: 'exports', level: 'read-write' },
          { type: 's3', bucket: 'acme-reports', level: 'list' },
        ],
        durationHours: 12,
        justification: 'monthly export',
      },
    });
  });

  it('round-trips a form whose optional fields were left empty (null)', () => {
    // Arrange
    const values = formValues({
      cluster: 'dev',
      namespace: 'payments',
      serviceAccount: 'invoice-exporter',
      grants: 's3:acme-invoices:read',
      duration: null,
      justification: null,
    });

    // Act
    const command = parseSlackCommand(`request ${requestFormToCommandText(values)}`);

    // Assert
    expect(command).toEqual({
      kind: 'request',
      body: {
        cluster: 'dev',
        namespace: 'payments',
        serviceAccount: 'invoice-exporter',
        grants: [{ type: 's3', bucket: 'acme-invoices', level: 'read' }],
      },
    });
  });
});

describe('extension messages', () => {
  const rule = makeRule();
  const active = () => activatePlanOnly(approve(makeAccessRequestRecord({ durationHours: 24 }), rule, bob, NOW), NOW);
  const asked = () => requestExtension(active(), rule, alice, { durationHours: 48, justification: 'one more week' }, NOW);

  it('asks approvers about an extension with its duration, the current expiry, the reason and both buttons', () => {
    // Arrange
    const record = asked();

    // Act
    const message = extensionApprovalMessage(record, { durationHours: 48, justification: 'one more week', expiresAt: record.expiresAt });

    // Assert
    expect(message.text).toBe(`Access grant \`${record.id}\` of alice@example.com asks for 48h more; it needs approval`);
    expect(JSON.stringify(message.blocks)).toContain(`now active until ${record.expiresAt}`);
    expect(JSON.stringify(message.blocks)).toContain('_one more week_');
    const buttons = (message.blocks?.at(-1)?.elements as Button[]).map((button) => [button.action_id, button.value]);
    expect(buttons).toEqual([
      [SlackAction.Approve, record.id],
      [SlackAction.Reject, record.id],
    ]);
  });

  it('shows the outcome of a decision on an extension in place of the buttons', () => {
    // Arrange
    const extended = approve(asked(), rule, bob, NOW);

    // Act
    const message = decidedMessage(extended, 'bob');

    // Assert
    expect(message.text).toBe(`Access request \`${extended.id}\`: extension approved by bob; active until ${extended.expiresAt}`);
  });

  it('tells the requester an extension was granted, rejected, or that the grant expires soon', () => {
    // Arrange
    const record = active();
    const expiresAt = '2030-01-05T10:00:00.000Z';

    // Act
    const [extended, rejected, warning] = [
      { event: AuditEventType.Extended, expiresAt },
      { event: AuditEventType.ExtensionRejected, expiresAt, note: 'done by now' },
      { event: AuditEventType.ExpiryWarning, expiresAt },
    ].map((change) => grantTimeNotification(record, change)?.text);

    // Assert
    expect(extended).toBe(`Your access grant \`${record.id}\` was extended; it is now active until ${expiresAt}.`);
    expect(rejected).toContain('was rejected: done by now. It still ends at 2030-01-05T10:00:00.000Z.');
    expect(warning).toContain(`expires at ${expiresAt}`);
    expect(warning).toContain(`/irsa extend ${record.id} <N>h|<N>d -- justification`);
  });

  it('says nothing more for other changes that leave the status as it was', () => {
    // Arrange / Act / Assert
    expect(grantTimeNotification(active(), {})).toBeUndefined();
  });

  it("tells a verification's outcome, with the refused call and its AWS error code, inert in mrkdwn", () => {
    // Arrange
    const record = active();

    // Act
    const passed = grantTimeNotification(record, { event: AuditEventType.Verified, note: 'passed' })?.text;
    const failed = grantTimeNotification(record, {
      event: AuditEventType.Verified,
      note: 'failed: s3:GetObject s3://acme-invoices/exports/probe AccessDenied <!channel>',
    })?.text;

    // Assert
    expect(passed).toBe(`Verification of your access grant \`${record.id}\` (the way the pod uses it): passed.`);
    expect(failed).toContain('failed: s3:GetObject s3://acme-invoices/exports/probe AccessDenied');
    expect(failed).not.toContain('<!channel>');
  });
});

describe('escapeMrkdwn', () => {
  it.each([
    ['a channel-wide mention', '<!channel> look', '&lt;!channel&gt; look'],
    ['a user mention', 'ping <@U0ADMIN>', 'ping &lt;@U0ADMIN&gt;'],
    ['a disguised link', '<https://evil.example|docs>', '&lt;https://evil.example|docs&gt;'],
    ['an ampersand first, so entities are not double-read', 'a &lt; b & c', 'a &amp;lt; b &amp; c'],
  ])('makes %s inert', (_what, text, escaped) => {
    // Arrange / Act
    const result = escapeMrkdwn(text);

    // Assert
    expect(result).toBe(escaped);
  });
});
