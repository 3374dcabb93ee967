import * as z from 'zod';
import { S3AccessLevel, type Grant } from './accessRequest';

/** How a verification ended: every planned call allowed, one refused, or some not possible to make. */
export const VerificationOutcome = { Passed: 'passed', Failed: 'failed', Partial: 'partial' } as const;
export type VerificationOutcome = (typeof VerificationOutcome)[keyof typeof VerificationOutcome];

/** One call the pod would make, in the order the pod makes them. */
export const VerificationStep = {
  Token: 'token',
  AssumeRole: 'assume-role',
  List: 's3:ListBucket',
  Get: 's3:GetObject',
  Put: 's3:PutObject',
  Delete: 's3:DeleteObject',
} as const;
export type VerificationStep = (typeof VerificationStep)[keyof typeof VerificationStep];

export const CheckResult = { Passed: 'passed', Failed: 'failed', Skipped: 'skipped' } as const;
export type CheckResult = (typeof CheckResult)[keyof typeof CheckResult];

export const VerificationCheckSchema = z.object({
  step: z.enum(Object.values(VerificationStep) as [VerificationStep, ...VerificationStep[]]),
  target: z.string().optional().meta({ description: 'The ServiceAccount, role or S3 location the call was about.' }),
  result: z.enum([CheckResult.Passed, CheckResult.Failed, CheckResult.Skipped]),
  code: z.string().optional().meta({ description: 'The AWS or Kubernetes error code of a failed or skipped call.' }),
  message: z.string().optional(),
});
export type VerificationCheck = z.infer<typeof VerificationCheckSchema>;

/** The last verification of a grant, kept on the request. */
export const VerificationSchema = z
  .object({
    outcome: z.enum([VerificationOutcome.Passed, VerificationOutcome.Failed, VerificationOutcome.Partial]),
    at: z.string(),
    attempts: z.number().int(),
    checks: z.array(VerificationCheckSchema),
  })
  .meta({ id: 'Verification', description: 'The grant proved the way the pod uses it: token, AssumeRoleWithWebIdentity, then S3.' });
export type Verification = z.infer<typeof VerificationSchema>;

/** One S3 call of a verification. */
export interface S3Probe {
  step: typeof VerificationStep.List | typeof VerificationStep.Get | typeof VerificationStep.Put | typeof VerificationStep.Delete;
  bucket: string;
  /** The prefix for a list, the key otherwise. */
  key: string;
}

const LISTS: ReadonlySet<S3AccessLevel> = new Set([S3AccessLevel.Read, S3AccessLevel.ReadWrite, S3AccessLevel.List]);
const READS: ReadonlySet<S3AccessLevel> = new Set([S3AccessLevel.Read, S3AccessLevel.ReadWrite]);
const WRITES: ReadonlySet<S3AccessLevel> = new Set([S3AccessLevel.Write, S3AccessLevel.ReadWrite]);

/** The probe key stays inside the grant's prefix, so the policy's object ARN covers it. */
export const probeKey = (prefix: string, requestId: string) => `${prefix}irsa-broker-verify-${requestId}`;

/**
 * The S3 calls that prove a request's grants, each inside its prefix: a list where the level lists,
 * a read of a probe key where it reads (a 404 proves the read was allowed), and a write and delete
 * of the probe key where it writes — only when config allows the broker to write into buckets.
 */
export function makeS3Probes(grants: readonly Grant[], requestId: string, writeProbe: boolean): S3Probe[] {
  const probes: S3Probe[] = [];
  for (const grant of grants) {
    if (grant.type !== 's3') continue;
    const prefix = grant.prefix ?? '';
    const key = probeKey(prefix, requestId);
    if (LISTS.has(grant.level)) probes.push({ step: VerificationStep.List, bucket: grant.bucket, key: prefix });
    if (READS.has(grant.level)) probes.push({ step: VerificationStep.Get, bucket: grant.bucket, key });
    if (WRITES.has(grant.level) && writeProbe) {
      probes.push({ step: VerificationStep.Put, bucket: grant.bucket, key }, { step: VerificationStep.Delete, bucket: grant.bucket, key });
    }
  }
  return probes;
}

/** The writes a grant holds but config does not let the broker prove. */
export function unprovedWrites(grants: readonly Grant[], writeProbe: boolean): VerificationCheck[] {
  if (writeProbe) return [];
  return grants.flatMap((grant) =>
    grant.type === 's3' && WRITES.has(grant.level)
      ? [
          {
            step: VerificationStep.Put,
            target: `s3://${grant.bucket}/${grant.prefix ?? ''}`,
            result: CheckResult.Skipped,
            code: 'WRITE_PROBE_NOT_ALLOWED',
            message: 'writing is not verified: config does not allow a probe object (verification.writeProbe)',
          },
        ]
      : [],
  );
}

/** Failed if any call was refused; partial if some could not be made; passed otherwise. */
export function verificationOutcome(checks: readonly VerificationCheck[]): VerificationOutcome {
  if (checks.some((check) => check.result === CheckResult.Failed)) return VerificationOutcome.Failed;
  if (checks.some((check) => check.result === CheckResult.Skipped)) return VerificationOutcome.Partial;
  return VerificationOutcome.Passed;
}
