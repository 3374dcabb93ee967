import { verifySlackRequest } from '@slack/bolt/dist/receivers/verify-request';
import { UnauthenticatedError } from '../../domain/errors';

const MAX_SKEW_SECONDS = 5 * 60;
/** Digits only, no sign, no leading zero; at most 11 digits (Unix seconds until the year 5138). */
const CANONICAL_SECONDS = /^[1-9][0-9]{0,10}$/;

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
  if (!signature || !timestamp) throw new UnauthenticatedError('not a signed Slack request');
  // Slack sends Unix seconds as plain digits. Anything else (" 1700000000", "+1700000000",
  // "01700000000", "1.7e9") would be the same number, hence the same HMAC, under another header
  // value: a way to slip a captured request past a replay check keyed on what was sent.
  if (!CANONICAL_SECONDS.test(timestamp)) throw new UnauthenticatedError('Slack request timestamp is not canonical');
  const seconds = Number(timestamp);
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
