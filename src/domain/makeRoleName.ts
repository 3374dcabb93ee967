import { createHash } from 'node:crypto';

/** IAM's limit on role names. */
export const ROLE_NAME_LIMIT = 64;
/** 40 bits of hash keep shortened names apart for any realistic number of grants. */
const HASH_LENGTH = 10;

export interface RoleNameParts {
  prefix: string;
  cluster: string;
  namespace: string;
  serviceAccount: string;
}

/**
 * A deterministic IAM role name for a workload: `<prefix><cluster>.<namespace>.<serviceAccount>`.
 * "." cannot occur in cluster or namespace names, so the readable form is unambiguous; config
 * refuses cluster names that differ only by case, because IAM compares role names case-insensitively.
 * A form longer than 63 characters is cut and ends in "-" and a hash of the exact parts, which makes
 * every shortened name exactly 64 characters long and so never equal to an unshortened one.
 */
export function makeRoleName(parts: RoleNameParts): string {
  const readable = `${parts.prefix}${parts.cluster}.${parts.namespace}.${parts.serviceAccount}`;
  if (readable.length < ROLE_NAME_LIMIT) return readable;
  const hash = createHash('sha256')
    .update([parts.prefix, parts.cluster, parts.namespace, parts.serviceAccount].join('\n'))
    .digest('hex')
    .slice(0, HASH_LENGTH);
  return `${readable.slice(0, ROLE_NAME_LIMIT - HASH_LENGTH - 1)}-${hash}`;
}
