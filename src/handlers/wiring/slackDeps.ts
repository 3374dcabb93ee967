import { DynamoReplayGuard } from '../../adapters/aws/dynamoReplayGuard';
import { verifySlackSignature } from '../../adapters/slack/verifySlackSignature';
import { headerValue } from '../../api/headers';
import { loadBrokerConfig } from '../../config';
import { UnauthenticatedError } from '../../domain/errors';
import type { SlackDeps } from '../../usecases/slackDeps';
import type { SlackIntakeDeps } from '../../usecases/slackRequests';
import { accessRequestDeps, dynamoClient, slackJobQueue, tableName } from './accessRequestDeps';
import { slackGateway } from './slackGateway';
import { slackSecret } from './slackSecrets';

/** Slack sends each request once; a signature seen again within the window is a replay. */
const REPLAY_WINDOW_SECONDS = 10 * 60;

let intake: SlackIntakeDeps | undefined;
let replays: DynamoReplayGuard | undefined;

/** The Slack job runner's dependencies. */
export function slackDeps(): SlackDeps {
  return { ...accessRequestDeps(), slack: slackGateway() };
}

/** What the Slack endpoints need to answer within Slack's three seconds. */
export function slackIntakeDeps(): SlackIntakeDeps {
  intake ??= {
    slack: slackGateway(),
    jobs: slackJobQueue(),
    defaultCluster: loadBrokerConfig().clusters[0]?.name ?? '',
  };
  return intake;
}

/** The body exactly as Slack signed it. */
export function rawBody(event: { body?: string; isBase64Encoded?: boolean }): string {
  return event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : (event.body ?? '');
}

/** Verifies signature and freshness, then refuses replays; nothing is parsed before this passes. */
export async function verifySlackEvent(event: { headers?: Record<string, string | undefined> }, body: string): Promise<void> {
  const signature = headerValue(event.headers, 'x-slack-signature');
  verifySlackSignature(
    body,
    signature,
    headerValue(event.headers, 'x-slack-request-timestamp'),
    await slackSecret('SLACK_SIGNING_SECRET'),
    new Date(),
  );
  replays ??= new DynamoReplayGuard(dynamoClient(), tableName());
  if (!(await replays.firstSeen(`slack:${signature}`, REPLAY_WINDOW_SECONDS)))
    throw new UnauthenticatedError('this Slack request was already received');
}
