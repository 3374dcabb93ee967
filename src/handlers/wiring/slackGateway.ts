import type { SlackGateway } from '../../ports';
import { slackSecret } from './slackSecrets';

let slack: SlackGateway | undefined;

/**
 * The Slack Web API (SLACK_API_URL points it at a stand-in in tests). The official client is loaded
 * on the first call, so answering `/irsa help` or verifying a request never pays for it.
 */
export function slackGateway(): SlackGateway {
  if (slack) return slack;
  let loaded: Promise<SlackGateway> | undefined;
  const gateway = (): Promise<SlackGateway> =>
    (loaded ??= import('../../adapters/slack/slackWebApiGateway').then(
      ({ SlackWebApiGateway }) => new SlackWebApiGateway(() => slackSecret('SLACK_BOT_TOKEN'), process.env.SLACK_API_URL || undefined),
    ));
  slack = {
    postMessage: async (channel, message) => (await gateway()).postMessage(channel, message),
    updateMessage: async (channel, ts, message) => (await gateway()).updateMessage(channel, ts, message),
    postEphemeral: async (channel, user, message) => (await gateway()).postEphemeral(channel, user, message),
    openView: async (triggerId, view) => (await gateway()).openView(triggerId, view),
    userEmail: async (userId) => (await gateway()).userEmail(userId),
    userIdByEmail: async (email) => (await gateway()).userIdByEmail(email),
    respond: async (responseUrl, message) => (await gateway()).respond(responseUrl, message),
  };
  return slack;
}
