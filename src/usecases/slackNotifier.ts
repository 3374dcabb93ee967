import { findApprovalRule } from '../domain/approvalRules';
import type { BrokerConfig } from '../domain/brokerConfig';
import type { CallerIdentity } from '../domain/identity';
import { notifyJobOf, type NotifyJob } from '../domain/jobs';
import { AuditEventType, RequestStatus, type AccessRequestRecord } from '../domain/requestLifecycle';
import {
  approvalRequestMessage,
  extensionApprovalMessage,
  grantTimeNotification,
  requesterNotification,
  type SlackMessage,
} from '../domain/slackMessages';
import type { Notifier, SlackGateway } from '../ports';

/** The requester's Slack user: from the people map or the Slack mapping, else looked up by email. */
export async function slackUserOf(identity: CallerIdentity, config: BrokerConfig, slack: SlackGateway): Promise<string | undefined> {
  const { people } = config.identity;
  const joined = identity.person && Object.hasOwn(people, identity.person) ? people[identity.person]?.slackUsers[0] : undefined;
  if (joined) return joined;
  const mapped = Object.entries(config.slack.users).find(([, user]) => user.subject === identity.subject)?.[0];
  if (mapped) return mapped;
  return identity.email ? slack.userIdByEmail(identity.email) : undefined;
}

/**
 * Tells approvers about new pending requests and extensions (in their rule's channel, with buttons),
 * and requesters about every change of their request's status, an extension's outcome and an
 * approaching expiry.
 */
export class SlackNotifier implements Notifier {
  constructor(
    private readonly slack: SlackGateway,
    private readonly config: BrokerConfig,
    private readonly log: (entry: Record<string, unknown>) => void = (entry) => console.warn(JSON.stringify(entry)),
  ) {}

  requestStored(record: AccessRequestRecord, isNew: boolean): Promise<void> {
    return this.tell(record, notifyJobOf(record, isNew));
  }

  /**
   * Tells one change. `record` is the request as read now; `change` says what the stored change
   * was, so the message is about that change even when the request has moved on since.
   */
  async tell(record: AccessRequestRecord, change: NotifyJob): Promise<void> {
    const asChanged = { ...record, status: change.status };
    try {
      if (change.isNew && change.status === RequestStatus.Pending) await this.askApprovers(asChanged, approvalRequestMessage(asChanged));
      if (change.event === AuditEventType.ExtensionRequested && change.extensionHours !== undefined) {
        const facts = { durationHours: change.extensionHours, justification: change.note, expiresAt: change.expiresAt };
        await this.askApprovers(asChanged, extensionApprovalMessage(asChanged, facts));
      }
      if (change.statusChanged) await this.tellRequester(asChanged, requesterNotification(asChanged, change.note));
      else await this.tellRequester(asChanged, grantTimeNotification(asChanged, change));
    } catch (error) {
      // A notification that could not be sent must never undo or fail the change itself.
      this.log({ level: 'WARN', message: 'Slack notification failed', requestId: record.id, error: (error as Error).message });
    }
  }

  private async askApprovers(record: AccessRequestRecord, message: SlackMessage): Promise<void> {
    const rule = findApprovalRule(this.config.approvalRules, record.request.cluster, record.request.namespace);
    if (rule.approvalChannel) await this.slack.postMessage(rule.approvalChannel, message);
  }

  private async tellRequester(record: AccessRequestRecord, message: SlackMessage | undefined): Promise<void> {
    const user = message && (await slackUserOf(record.requester, this.config, this.slack));
    if (message && user) await this.slack.postMessage(user, message);
  }
}
