import type { BrokerConfig } from '../domain/brokerConfig';
import { UnauthenticatedError } from '../domain/errors';
import { IdentitySource, type CallerIdentity } from '../domain/identity';
import type { SlackGateway } from '../ports';

/**
 * The broker identity of a Slack user: the config mapping first; else the email Slack knows
 * (users.info) with the groups config gives that email. Nobody unknown may act.
 */
export async function identifySlackUser(userId: string, config: BrokerConfig, slack: SlackGateway): Promise<CallerIdentity> {
  const mapped = config.slack.users[userId];
  if (mapped)
    return {
      subject: mapped.subject,
      ...(mapped.email ? { email: mapped.email } : {}),
      groups: mapped.groups,
      source: IdentitySource.Slack,
    };
  const email = await slack.userEmail(userId);
  const groups = email ? (config.slack.groupsByEmail[email.toLowerCase()] ?? config.slack.groupsByEmail[email]) : undefined;
  if (!email || !groups)
    throw new UnauthenticatedError(`Slack user ${userId} is not known to irsa-broker; ask a platform admin to map them`);
  return { subject: email, email, groups, source: IdentitySource.Slack };
}
