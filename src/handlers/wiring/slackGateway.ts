import { SlackWebApiGateway } from '../../adapters/slack/slackWebApiGateway';
import { slackSecret } from './slackSecrets';

let slack: SlackWebApiGateway | undefined;

/** The Slack Web API (SLACK_API_URL points it at a stand-in in tests). */
export function slackGateway(): SlackWebApiGateway {
  slack ??= new SlackWebApiGateway(() => slackSecret('SLACK_BOT_TOKEN'), process.env.SLACK_API_URL || undefined);
  return slack;
}
