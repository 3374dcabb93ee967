import * as z from 'zod';

/** A bucket's default encryption as GetBucketEncryption reports it. */
export const BucketEncryption = { None: 'none', SseS3: 'SSE-S3', SseKms: 'SSE-KMS', DsseKms: 'DSSE-KMS' } as const;
export type BucketEncryption = (typeof BucketEncryption)[keyof typeof BucketEncryption];
export const BucketEncryptionSchema = z.enum([
  BucketEncryption.None,
  BucketEncryption.SseS3,
  BucketEncryption.SseKms,
  BucketEncryption.DsseKms,
]);

/** Whether a read of the bucket answered, and how. */
export const BucketFactsStatus = {
  /** The bucket exists and one of the expected owners owns it. */
  Found: 'found',
  Missing: 'missing',
  /** S3 refused the read under every expected owner: someone else owns it (or the broker may not look). */
  OwnerNotExpected: 'owner-not-expected',
  /** A transient failure (throttling, 5xx, timeout): nothing is known. */
  Unchecked: 'unchecked',
} as const;
export type BucketFactsStatus = (typeof BucketFactsStatus)[keyof typeof BucketFactsStatus];

/** A part of a found bucket that could not be read; the rest still counts. */
const UnreadableSchema = z.object({ unreadable: z.string().meta({ description: 'The AWS error code.' }) });

/** What the broker's bucket inspector read about one bucket, as plain data. */
export const BucketFactsSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal(BucketFactsStatus.Found),
    region: z.string(),
    owner: z.string(),
    encryption: z.union([
      z.object({ type: BucketEncryptionSchema, kmsKeyArn: z.string().optional(), bucketKeyEnabled: z.boolean() }),
      UnreadableSchema,
    ]),
    /** The bucket policy's JSON text; null when the bucket has none. */
    policy: z.union([z.object({ text: z.string().nullable() }), UnreadableSchema]),
  }),
  z.object({ status: z.literal(BucketFactsStatus.Missing) }),
  z.object({ status: z.literal(BucketFactsStatus.OwnerNotExpected), code: z.string() }),
  z.object({ status: z.literal(BucketFactsStatus.Unchecked), code: z.string(), message: z.string() }),
]);
export type BucketFacts = z.infer<typeof BucketFactsSchema>;
