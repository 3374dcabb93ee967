import { ConflictError } from './errors';
import { BROKER_TAG_PREFIX, MANAGED_BY_TAG, MANAGED_BY_VALUE, type Tag } from './makeTags';

const REQUEST_ID_TAG = `${BROKER_TAG_PREFIX}request-id`;

/** Whether the tags mark an IAM object as the broker's own. */
export function isManagedByBroker(tags: readonly Tag[]): boolean {
  return tags.some((tag) => tag.Key === MANAGED_BY_TAG && tag.Value === MANAGED_BY_VALUE);
}

/** The request a broker object was created for, when its tags name one (roles made before workloads did). */
export function requestIdOf(tags: readonly Tag[]): string | undefined {
  return tags.find((tag) => tag.Key === REQUEST_ID_TAG)?.Value;
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

/** The workload a role's tags name, if the broker tagged it. */
function taggedWorkload(tags: readonly Tag[]): { cluster?: string; namespace?: string; serviceAccount?: string } {
  const value = (key: string) => tags.find((tag) => tag.Key === `${BROKER_TAG_PREFIX}${key}`)?.Value;
  return { cluster: value('cluster'), namespace: value('namespace'), serviceAccount: value('service-account') };
}

/**
 * Refuses to touch a role the broker did not create (409), or one it created for another workload
 * (a same-named role can only come from a cut, hashed name or a hand-made copy). Which grant made the
 * role does not matter: the role belongs to the workload, whose grants come and go.
 */
export function assertOwnedByWorkload(
  name: string,
  tags: readonly Tag[],
  workload: { cluster: string; namespace: string; serviceAccount: string },
): void {
  if (!isManagedByBroker(tags)) {
    throw new ConflictError('FOREIGN_IAM_OBJECT', `IAM role ${name} exists and is not managed by irsa-broker; it was left untouched`, {
      details: { kind: 'role', name },
    });
  }
  const tagged = taggedWorkload(tags);
  if (tagged.cluster !== workload.cluster || tagged.namespace !== workload.namespace || tagged.serviceAccount !== workload.serviceAccount) {
    throw new ConflictError(
      'IAM_OBJECT_OWNED_BY_ANOTHER_WORKLOAD',
      `IAM role ${name} belongs to workload ${tagged.cluster}/${tagged.namespace}/${tagged.serviceAccount}; it was left untouched`,
      { details: { kind: 'role', name, owner: tagged } },
    );
  }
}

/** Whether a role's tags name this workload (and the broker made it). */
export function isOwnedByWorkload(tags: readonly Tag[], workload: { cluster: string; namespace: string; serviceAccount: string }): boolean {
  const tagged = taggedWorkload(tags);
  return (
    isManagedByBroker(tags) &&
    tagged.cluster === workload.cluster &&
    tagged.namespace === workload.namespace &&
    tagged.serviceAccount === workload.serviceAccount
  );
}
