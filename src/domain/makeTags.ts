import * as z from 'zod';

/** The tag that marks an IAM object as the broker's own; the broker touches nothing without it. */
export const MANAGED_BY_TAG = 'irsa-broker:managed-by';
export const MANAGED_BY_VALUE = 'irsa-broker';
/** Tag keys the broker reserves; the config schema refuses extra tags that use them. */
export const BROKER_TAG_PREFIX = 'irsa-broker:';

export const TagSchema = z.object({ Key: z.string(), Value: z.string() }).meta({ id: 'Tag' });
export type Tag = z.infer<typeof TagSchema>;

export interface TagSubject {
  cluster: string;
  namespace: string;
  serviceAccount: string;
  requestId?: string;
  extraTags: Record<string, string>;
}

/** Tags for the role and policy: ownership and provenance first, then the configured extras, sorted. */
export function makeTags(subject: TagSubject): Tag[] {
  const ownTags: Tag[] = [
    { Key: MANAGED_BY_TAG, Value: MANAGED_BY_VALUE },
    { Key: `${BROKER_TAG_PREFIX}cluster`, Value: subject.cluster },
    { Key: `${BROKER_TAG_PREFIX}namespace`, Value: subject.namespace },
    { Key: `${BROKER_TAG_PREFIX}service-account`, Value: subject.serviceAccount },
  ];
  if (subject.requestId) ownTags.push({ Key: `${BROKER_TAG_PREFIX}request-id`, Value: subject.requestId });
  const extraTags = Object.entries(subject.extraTags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([Key, Value]) => ({ Key, Value }));
  return [...ownTags, ...extraTags];
}
