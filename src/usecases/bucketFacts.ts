import type { AccessRequest } from '../domain/accessRequest';
import { BucketFactsStatus, type BucketFacts } from '../domain/bucketFacts';
import { assessBuckets, bucketsOf, expectedBucketOwners } from '../domain/bucketPreflight';
import type { BrokerConfig, ClusterConfig } from '../domain/brokerConfig';
import { ConflictError } from '../domain/errors';
import type { GrantPlan } from '../domain/grantPlan';
import type { BucketInspector } from '../ports';

/**
 * Reads every bucket the request's S3 grants name, concurrently, for the plan to judge. Undefined
 * where config turns the pre-flight off (the plan then has no `buckets`).
 */
export async function readBucketFacts(
  request: Pick<AccessRequest, 'grants'>,
  cluster: ClusterConfig,
  deps: { config: BrokerConfig; buckets: BucketInspector },
  only?: (bucket: string) => boolean,
): Promise<Map<string, BucketFacts> | undefined> {
  if (!deps.config.bucketPreflight) return undefined;
  const names = bucketsOf(request.grants).filter((bucket) => only?.(bucket) ?? true);
  const facts = await Promise.all(
    names.map((bucket) => deps.buckets.inspect(bucket, expectedBucketOwners(deps.config, cluster, bucket), cluster)),
  );
  return new Map(names.map((bucket, index) => [bucket, facts[index]!]));
}

/**
 * Provisioning's second look at buckets a transient error left unchecked at submit. A bucket that
 * turns out missing or foreign fails the grant (422 codes, as at submit). One that needs a KMS key
 * the approved policy lacks fails too: provisioning never grants more than the approver saw, so the
 * requester submits again and the new plan names the key. Still unchecked: the grant goes ahead —
 * the pre-flight is a help, not a gate, and verification will show whether the pod can read.
 * Returns what was looked at again, for the audit trail.
 */
export async function recheckUncheckedBuckets(
  plan: GrantPlan,
  request: Pick<AccessRequest, 'grants'>,
  cluster: ClusterConfig,
  deps: { config: BrokerConfig; buckets: BucketInspector },
): Promise<{ bucket: string; checked: boolean }[]> {
  const unchecked = new Set((plan.buckets ?? []).filter((bucket) => !bucket.checked).map((bucket) => bucket.bucket));
  if (unchecked.size === 0) return [];
  const facts = await readBucketFacts(request, cluster, deps, (bucket) => unchecked.has(bucket));
  if (!facts) return [];
  const { keys } = assessBuckets(facts, cluster, deps.config);
  const [unplanned] = keys;
  if (unplanned) {
    const [bucket, key] = unplanned;
    throw new ConflictError(
      'BUCKET_KMS_KEY_NOT_PLANNED',
      `bucket ${bucket} encrypts with ${key.kmsKeyArn}, which the approved plan does not grant (it was unchecked at submit); submit the request again`,
      { details: { bucket, kmsKeyArn: key.kmsKeyArn } },
    );
  }
  return [...facts].map(([bucket, fact]) => ({ bucket, checked: fact.status !== BucketFactsStatus.Unchecked }));
}
