import { verifySlackRequest } from '@slack/bolt/dist/receivers/verify-request';
import { UnauthenticatedError } from '../../domain/errors';

const MAX_SKEW_SECONDS = 5 * 60;

/**
 * Checks a Slack request's v0 signature (HMAC-SHA256 of "v0:timestamp:body", constant-time compare,
 * Bolt's implementation) before anything in it is parsed. Bolt refuses stale timestamps; a
 * timestamp more than five minutes in the future is refused here too.
 */
export function verifySlackSignature(
  rawBody: string,
  signature: string | undefined,
  timestamp: string | undefined,
  signingSecret: string,
  now: Date,
): void {
  const seconds = Number(timestamp);
  if (!signature || !timestamp || !Number.isInteger(seconds)) throw new UnauthenticatedError('not a signed Slack request');
  if (seconds - now.getTime() / 1000 > MAX_SKEW_SECONDS) throw new UnauthenticatedError('Slack request timestamp is in the future');
  try {
    verifySlackRequest({
      signingSecret,
      body: rawBody,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': seconds },
      nowMilliseconds: now.getTime(),
    });
  } catch (error) {
    throw new UnauthenticatedError('Slack request signature or timestamp is invalid', { cause: error });
  }
}
