import { AuditEventType, GrantMode, RequestStatus, type AccessRequestRecord } from './requestLifecycle';
import { otherGrants, type WorkloadRecord } from './workload';

/** Block Kit messages, as plain data: the Slack adapter only sends them. */
export interface SlackMessage {
  text: string;
  blocks?: Record<string, unknown>[];
}

export const SlackAction = { Approve: 'irsa_approve', Reject: 'irsa_reject' } as const;
export const REQUEST_FORM_CALLBACK = 'irsa_request_form';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

/**
 * Text anyone but the broker wrote (justifications, names, emails, comments, error messages quoting
 * input), made inert for Slack's mrkdwn: escaping &, < and > is what Slack asks for, and it keeps
 * `<!channel>`, `<@U…>` mentions and `<https://evil|innocent>` links from reaching approvers.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
const e = escapeMrkdwn;

/** One line per grant. */
export function grantLines(record: AccessRequestRecord): string {
  return record.request.grants
    .map((grant) =>
      grant.type === 's3' ? `• s3 \`${e(grant.bucket)}/${e(grant.prefix ?? '')}\` ${grant.level}` : `• policy \`${e(grant.arn)}\``,
    )
    .join('\n');
}

/** The plan in a few lines: who, where, what, which role. */
export function planSummary(record: AccessRequestRecord): string {
  const { request, plan } = record;
  return [
    `*${e(request.cluster)}/${e(request.namespace)}/${e(request.serviceAccount)}* for ${record.durationHours}h`,
    grantLines(record),
    `role \`${e(plan.role.arn)}\``,
    ...(request.justification ? [`_${e(request.justification)}_`] : []),
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

/** Approve and Reject, each carrying the request id: a click runs the same use cases as the REST routes. */
function decisionButtons(id: string): Record<string, unknown> {
  const button = (action_id: string, style: string, text: string) => ({
    type: 'button',
    action_id,
    style,
    text: { type: 'plain_text', text },
    value: id,
  });
  return {
    type: 'actions',
    block_id: `irsa_decision_${id}`,
    elements: [button(SlackAction.Approve, 'primary', 'Approve'), button(SlackAction.Reject, 'danger', 'Reject')],
  };
}

const requesterName = (record: AccessRequestRecord) => e(record.requester.email ?? record.requester.subject);

/** What approvers see in their channel, with one-click buttons. */
export function approvalRequestMessage(record: AccessRequestRecord): SlackMessage {
  const text = `Access request \`${record.id}\` from ${requesterName(record)} needs approval`;
  return { text, blocks: [section(text), section(planSummary(record)), decisionButtons(record.id)] };
}

/** What an extension asks approvers to decide: the new duration, counted from when it is granted, and why. */
export interface ExtensionFacts {
  durationHours: number;
  justification?: string;
  expiresAt?: string;
}

/**
 * What approvers see when more time is asked for an active grant: the same buttons, which on such a
 * grant decide the extension.
 */
export function extensionApprovalMessage(record: AccessRequestRecord, extension: ExtensionFacts): SlackMessage {
  const text = `Access grant \`${record.id}\` of ${requesterName(record)} asks for ${extension.durationHours}h more; it needs approval`;
  const details = [
    `now active until ${extension.expiresAt ?? record.expiresAt ?? 'no set time'}; if approved, ${extension.durationHours}h from the approval`,
    ...(extension.justification ? [`_${e(extension.justification)}_`] : []),
  ].join('\n');
  return { text, blocks: [section(text), section(details), section(planSummary(record)), decisionButtons(record.id)] };
}

/** How a decision on an extension came out, from the change it made; undefined for decisions on the request itself. */
function extensionOutcome(record: AccessRequestRecord, decidedBy: string): string | undefined {
  switch (record.events[record.events.length - 1]?.type) {
    case AuditEventType.ExtensionApproval:
      return `extension approval ${record.extension?.approvals.length ?? ''} recorded by ${decidedBy}; more needed`;
    case AuditEventType.Extended:
      return `extension approved by ${decidedBy}; active until ${record.expiresAt}`;
    case AuditEventType.ExtensionRejected:
      return `extension rejected by ${decidedBy}; still active until ${record.expiresAt}`;
    default:
      return undefined;
  }
}

/** The approval message after a decision: the buttons are replaced by the outcome. */
export function decidedMessage(record: AccessRequestRecord, decidedBy: string): SlackMessage {
  const pending = record.status === RequestStatus.Pending;
  const outcome =
    extensionOutcome(record, decidedBy) ??
    (pending ? `approval ${record.approvals.length} recorded by ${e(decidedBy)}; more needed` : `${record.status} by ${e(decidedBy)}`);
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
  // The note is someone's comment or reason: inert in mrkdwn.
  const reason = note === undefined ? undefined : e(note);
  switch (record.status) {
    case RequestStatus.Approved:
      return { text: `Your access request ${id} was approved; provisioning has started.` };
    case RequestStatus.Rejected:
      return { text: `Your access request ${id} was rejected: ${reason ?? 'no reason given'}` };
    case RequestStatus.Active: {
      const delivery =
        record.request.delivery === 'apply' && record.grant?.mode === GrantMode.Provisioned
          ? 'The ServiceAccount was applied to the cluster.'
          : `Apply this ServiceAccount${record.grant?.mode === GrantMode.PlanOnly ? ' (plan only: the IAM role was not created by the broker)' : ''}:\n\`\`\`${e(record.plan.serviceAccount.yaml)}\`\`\``;
      return { text: `Your access request ${id} is active until ${record.expiresAt}. ${delivery}` };
    }
    case RequestStatus.Failed:
      return {
        text: `Provisioning of your access request ${id} failed: ${record.provisioning?.lastError?.message === undefined ? reason : e(record.provisioning.lastError.message)}`,
      };
    case RequestStatus.Expired:
      return { text: `Your access request ${id} expired.` };
    case RequestStatus.Revoked:
      return { text: `Your access grant ${id} was revoked${reason ? `: ${reason}` : ''}.` };
    default:
      return undefined;
  }
}

/** What the requester hears about an extension or an approaching expiry, from the facts of that change. */
export function grantTimeNotification(
  record: AccessRequestRecord,
  change: { event?: string; expiresAt?: string; note?: string },
): SlackMessage | undefined {
  const id = `\`${record.id}\``;
  const expiresAt = change.expiresAt ?? record.expiresAt;
  switch (change.event) {
    case AuditEventType.Extended:
      return { text: `Your access grant ${id} was extended; it is now active until ${expiresAt}.` };
    case AuditEventType.ExtensionRejected:
      return {
        text: `The extension of your access grant ${id} was rejected: ${change.note ?? 'no reason given'}. It still ends at ${expiresAt}.`,
      };
    case AuditEventType.ExpiryWarning:
      return {
        text: `Your access grant ${id} expires at ${expiresAt}. To keep it, ask for more time: \`/irsa extend ${record.id} <N>h|<N>d -- justification\`.`,
      };
    case AuditEventType.Verified:
      // The note is the verification's outcome and, for a failure, the call and its AWS error code.
      return { text: `Verification of your access grant ${id} (the way the pod uses it): ${e(change.note ?? 'done')}.` };
    default:
      return undefined;
  }
}

/** The reply to whoever asked for an extension. */
export function extensionReply(record: AccessRequestRecord): SlackMessage {
  const text = record.extension
    ? `Extension of \`${record.id}\` by ${record.extension.durationHours}h requested; it waits for approval (active until ${record.expiresAt} meanwhile).`
    : `Access grant \`${record.id}\` extended; it is now active until ${record.expiresAt}.`;
  return { text };
}

/** One line per request for `/irsa list` and `/irsa status`. */
export function statusLine(record: AccessRequestRecord): string {
  return `\`${record.id}\` ${record.status} — ${e(record.request.cluster)}/${e(record.request.namespace)}/${e(record.request.serviceAccount)}`;
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
