import type { BrokerConfig } from '../domain/brokerConfig';
import { UnauthenticatedError } from '../domain/errors';
import { IdentitySource, type CallerIdentity } from '../domain/identity';
import { resolvePerson } from '../domain/person';
import type { SlackGateway } from '../ports';

/**
 * The broker identity of a Slack user: the config mapping first; else the email Slack knows
 * (users.info) with the groups config gives that email. Nobody unknown may act. The person is
 * joined through the people map (by Slack user id or email) or by email, like every other door.
 */
export async function identifySlackUser(userId: string, config: BrokerConfig, slack: SlackGateway): Promise<CallerIdentity> {
  const mapped = config.slack.users[userId];
  const email = mapped ? mapped.email : await slack.userEmail(userId);
  const groups =
    mapped?.groups ?? (email ? (config.slack.groupsByEmail[email.toLowerCase()] ?? config.slack.groupsByEmail[email]) : undefined);
  const subject = mapped?.subject ?? email;
  if (!subject || !groups)
    throw new UnauthenticatedError(`Slack user ${userId} is not known to irsa-broker; ask a platform admin to map them`);
  const person = resolvePerson({ subject, email, slackUser: userId }, config.identity);
  return { subject, ...(email ? { email } : {}), groups, source: IdentitySource.Slack, ...(person ? { person } : {}) };
}
