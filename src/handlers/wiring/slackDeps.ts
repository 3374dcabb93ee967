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

/** What a verified Slack request is: new work, or Slack's retry of work already taken on. */
export type SlackDelivery = 'first' | 'retry';

/**
 * Verifies signature and freshness, then refuses replays; nothing is parsed before this passes.
 * A retry (X-Slack-Retry-Num: Slack did not hear our answer in time) is verified too, but reported
 * as such: the first delivery already queued the work, so a retry must not queue it again.
 */
export async function verifySlackEvent(event: { headers?: Record<string, string | undefined> }, body: string): Promise<SlackDelivery> {
  const signature = headerValue(event.headers, 'x-slack-signature');
  verifySlackSignature(
    body,
    signature,
    headerValue(event.headers, 'x-slack-request-timestamp'),
    await slackSecret('SLACK_SIGNING_SECRET'),
    new Date(),
  );
  if (headerValue(event.headers, 'x-slack-retry-num') !== undefined) return 'retry';
  replays ??= new DynamoReplayGuard(dynamoClient(), tableName());
  if (!(await replays.firstSeen(`slack:${signature}`, REPLAY_WINDOW_SECONDS)))
    throw new UnauthenticatedError('this Slack request was already received');
  return 'first';
}

/** The answer to a retry: received, nothing done again, and Slack asked not to retry further. */
export const RETRY_ACKNOWLEDGED = { statusCode: 200, headers: { 'x-slack-no-retry': '1' }, body: '' };
