import { GrantMode, RequestStatus, type AccessRequestRecord } from './requestLifecycle';
import { otherGrants, type WorkloadRecord } from './workload';

/** Block Kit messages, as plain data: the Slack adapter only sends them. */
export interface SlackMessage {
  text: string;
  blocks?: Record<string, unknown>[];
}

export const SlackAction = { Approve: 'irsa_approve', Reject: 'irsa_reject' } as const;
export const REQUEST_FORM_CALLBACK = 'irsa_request_form';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

/** One line per grant. */
export function grantLines(record: AccessRequestRecord): string {
  return record.request.grants
    .map((grant) => (grant.type === 's3' ? `• s3 \`${grant.bucket}/${grant.prefix ?? ''}\` ${grant.level}` : `• policy \`${grant.arn}\``))
    .join('\n');
}

/** The plan in a few lines: who, where, what, which role. */
export function planSummary(record: AccessRequestRecord): string {
  const { request, plan } = record;
  return [
    `*${request.cluster}/${request.namespace}/${request.serviceAccount}* for ${record.durationHours}h`,
    grantLines(record),
    `role \`${plan.role.arn}\``,
    ...(request.justification ? [`_${request.justification}_`] : []),
  ].join('\n');
}

/** The reply to the requester right after submitting. */
export function submittedReply(record: AccessRequestRecord, workload?: WorkloadRecord): SlackMessage {
  const text = `Request \`${record.id}\` is ${record.status}.`;
  const others = workload ? otherGrants(workload, record.id) : [];
  const note = others.length
    ? [
        section(
          `This ServiceAccount already has ${others.length} grant(s) on role \`${workload!.roleArn}\`; this request adds to them and changes none of theirs.`,
        ),
      ]
    : [];
  return { text, blocks: [section(text), section(planSummary(record)), ...note] };
}

/** The grants of a request's workload, one line each, for `/irsa status`. */
export function workloadLines(workload: WorkloadRecord): string {
  const grants = workload.grants.map((grant) => `• \`${grant.requestId}\` ${grant.status}`).join('\n');
  return `Workload ${workload.key} — role \`${workload.roleArn}\`, ${workload.grants.length} grant(s):\n${grants}`;
}

/** What approvers see in their channel, with one-click buttons. */
export function approvalRequestMessage(record: AccessRequestRecord): SlackMessage {
  const text = `Access request \`${record.id}\` from ${record.requester.email ?? record.requester.subject} needs approval`;
  return {
    text,
    blocks: [
      section(text),
      section(planSummary(record)),
      {
        type: 'actions',
        block_id: `irsa_decision_${record.id}`,
        elements: [
          {
            type: 'button',
            action_id: SlackAction.Approve,
            style: 'primary',
            text: { type: 'plain_text', text: 'Approve' },
            value: record.id,
          },
          {
            type: 'button',
            action_id: SlackAction.Reject,
            style: 'danger',
            text: { type: 'plain_text', text: 'Reject' },
            value: record.id,
          },
        ],
      },
    ],
  };
}

/** The approval message after a decision: the buttons are replaced by the outcome. */
export function decidedMessage(record: AccessRequestRecord, decidedBy: string): SlackMessage {
  const pending = record.status === RequestStatus.Pending;
  const outcome = pending
    ? `approval ${record.approvals.length} recorded by ${decidedBy}; more needed`
    : `${record.status} by ${decidedBy}`;
  const text = `Access request \`${record.id}\`: ${outcome}`;
  return { text, blocks: [section(text), section(planSummary(record))] };
}

/** The comment or reason of the request's latest change. */
function lastNote(record: AccessRequestRecord): string | undefined {
  const last = record.events[record.events.length - 1];
  return last?.comment ?? last?.reason;
}

/** What the requester hears when their request changes, or nothing for steps they need not hear about. */
export function requesterNotification(record: AccessRequestRecord, note = lastNote(record)): SlackMessage | undefined {
  const id = `\`${record.id}\``;
  const reason = note;
  switch (record.status) {
    case RequestStatus.Approved:
      return { text: `Your access request ${id} was approved; provisioning has started.` };
    case RequestStatus.Rejected:
      return { text: `Your access request ${id} was rejected: ${reason ?? 'no reason given'}` };
    case RequestStatus.Active: {
      const delivery =
        record.request.delivery === 'apply' && record.grant?.mode === GrantMode.Provisioned
          ? 'The ServiceAccount was applied to the cluster.'
          : `Apply this ServiceAccount${record.grant?.mode === GrantMode.PlanOnly ? ' (plan only: the IAM role was not created by the broker)' : ''}:\n\`\`\`${record.plan.serviceAccount.yaml}\`\`\``;
      return { text: `Your access request ${id} is active until ${record.expiresAt}. ${delivery}` };
    }
    case RequestStatus.Failed:
      return { text: `Provisioning of your access request ${id} failed: ${record.provisioning?.lastError?.message ?? reason}` };
    case RequestStatus.Expired:
      return { text: `Your access request ${id} expired.` };
    case RequestStatus.Revoked:
      return { text: `Your access grant ${id} was revoked${reason ? `: ${reason}` : ''}.` };
    default:
      return undefined;
  }
}

/** One line per request for `/irsa list` and `/irsa status`. */
export function statusLine(record: AccessRequestRecord): string {
  return `\`${record.id}\` ${record.status} — ${record.request.cluster}/${record.request.namespace}/${record.request.serviceAccount}`;
}

/** The modal `/irsa request` opens. */
export function requestFormView(defaultCluster: string): Record<string, unknown> {
  const input = (block_id: string, label: string, placeholder: string, optional = false, multiline = false) => ({
    type: 'input',
    block_id,
    optional,
    label: { type: 'plain_text', text: label },
    element: { type: 'plain_text_input', action_id: 'value', multiline, placeholder: { type: 'plain_text', text: placeholder } },
  });
  return {
    type: 'modal',
    callback_id: REQUEST_FORM_CALLBACK,
    title: { type: 'plain_text', text: 'Request AWS access' },
    submit: { type: 'plain_text', text: 'Submit' },
    blocks: [
      {
        ...input('cluster', 'Cluster', defaultCluster),
        element: { type: 'plain_text_input', action_id: 'value', initial_value: defaultCluster },
      },
      input('namespace', 'Namespace', 'payments'),
      input('serviceAccount', 'ServiceAccount', 'invoice-exporter'),
      input('grants', 'Grants, one per line', 's3:acme-invoices/exports:read-write', false, true),
      input('justification', 'Justification', 'why the workload needs it', true),
      input('duration', 'Duration', '24h or 7d', true),
    ],
  };
}

/** Turns a submitted modal's values into the one-line form. */
export function requestFormToCommandText(values: Record<string, Record<string, { value?: string | null }>>): string {
  const get = (block: string) => values[block]?.value?.value?.trim() ?? '';
  const grants = get('grants').split(/\s+/).filter(Boolean).join(' ');
  const duration = get('duration');
  const justification = get('justification');
  return `${get('cluster')}/${get('namespace')}/${get('serviceAccount')} ${grants}${duration ? ` for ${duration}` : ''}${justification ? ` -- ${justification}` : ''}`;
}
