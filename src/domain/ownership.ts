import { ConflictError } from './errors';
import { BROKER_TAG_PREFIX, MANAGED_BY_TAG, MANAGED_BY_VALUE, type Tag } from './makeTags';

const REQUEST_ID_TAG = `${BROKER_TAG_PREFIX}request-id`;

/** Whether the tags mark an IAM object as the broker's own. */
export function isManagedByBroker(tags: readonly Tag[]): boolean {
  return tags.some((tag) => tag.Key === MANAGED_BY_TAG && tag.Value === MANAGED_BY_VALUE);
}

/** Whether the tags say the broker created this object for this request. */
export function isOwnedByRequest(tags: readonly Tag[], requestId: string): boolean {
  if (!isManagedByBroker(tags)) return false;
  const owner = tags.find((tag) => tag.Key === REQUEST_ID_TAG)?.Value;
  return owner === undefined || owner === requestId;
}

/**
 * Refuses to touch an IAM object the broker did not create (409, never modified), or one it
 * created for another request: two grants must never share a role or policy.
 */
export function assertOwnedByRequest(kind: 'role' | 'policy', name: string, tags: readonly Tag[], requestId: string): void {
  if (!isManagedByBroker(tags)) {
    throw new ConflictError('FOREIGN_IAM_OBJECT', `IAM ${kind} ${name} exists and is not managed by irsa-broker; it was left untouched`, {
      details: { kind, name },
    });
  }
  const owner = tags.find((tag) => tag.Key === REQUEST_ID_TAG)?.Value;
  if (owner && owner !== requestId) {
    throw new ConflictError(
      'IAM_OBJECT_OWNED_BY_ANOTHER_REQUEST',
      `IAM ${kind} ${name} belongs to access request ${owner}; revoke that grant first`,
      {
        details: { kind, name, owner },
      },
    );
  }
}

/** Key-order-insensitive JSON, so that documents IAM hands back compare equal to the plan's. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Whether two policy documents say the same thing, whatever their key order. */
export function sameDocument(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
