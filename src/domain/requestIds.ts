import { createHash } from 'node:crypto';
import { IdentitySource, type CallerIdentity } from './identity';
import { iamPrincipalKey } from './person';

/** The UUID namespace of submit's Idempotency-Key ids (RFC 9562 name-based UUIDs need one; any fixed value works). */
const SUBMIT_NAMESPACE = '4f0b3a4e-9c2d-4c1e-8a6b-7d5e3f2a1c09';

/** A name-based UUID, version 5 (SHA-1), of `name` in `namespace` (RFC 9562, section 5.5). */
export function nameBasedUuid(namespace: string, name: string): string {
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Who "the same caller" is for an Idempotency-Key: how they signed in and their stable subject. An
 * IAM caller is the principal, not the session (a pod's SDK renews its session, and its name, between
 * a request and its retry); a person join is not used, since it changes with config.
 */
export function idempotencyCallerOf(caller: Pick<CallerIdentity, 'subject' | 'source'>): string {
  const subject = caller.source === IdentitySource.Iam ? (iamPrincipalKey(caller.subject) ?? caller.subject) : caller.subject;
  return `${caller.source}:${subject}`;
}

/**
 * The id of the request a caller files under an Idempotency-Key: a name-based UUID (version 5, SHA-1,
 * RFC 9562) of caller and key. Every attempt with the same caller and key names the same request, so
 * the store's conditional create lets only one exist, whatever failed before; another caller's key is
 * another id. UUID-shaped like the random ids (version 4) of requests filed without a key.
 */
export function makeIdempotentRequestId(caller: Pick<CallerIdentity, 'subject' | 'source'>, key: string): string {
  return nameBasedUuid(SUBMIT_NAMESPACE, JSON.stringify([idempotencyCallerOf(caller), key]));
}
