import * as z from 'zod';

/** IAM accepts only this policy language version for the features the broker uses. */
export const POLICY_VERSION = '2012-10-17';

const ACTION = /^[a-z0-9-]+:[A-Za-z0-9*]+$/;
/** An ARN with a concrete service; the broker never writes a bare "*" resource. */
const RESOURCE_ARN = /^arn:(aws|aws-cn|aws-us-gov):[a-z0-9-]+:[a-z0-9-]*:(\d{12}|aws)?:[^\s]+$/;
const SID = /^[A-Za-z0-9]+$/;

const ConditionSchema = z.record(z.string(), z.record(z.string(), z.union([z.string(), z.array(z.string()).min(1)])));
export type PolicyCondition = z.infer<typeof ConditionSchema>;

/**
 * The subset of the IAM policy grammar the broker writes. Parsing a generated document with it is
 * the grammar half of the pre-flight: a builder bug fails here, before any AWS call.
 */
export const PolicyStatementSchema = z
  .object({
    Sid: z.string().regex(SID, 'must be alphanumeric').optional(),
    Effect: z.enum(['Allow', 'Deny']),
    Principal: z
      .object({ Federated: z.string().regex(RESOURCE_ARN) })
      .strict()
      .optional(),
    Action: z.union([z.string().regex(ACTION, 'must be vendor:action'), z.array(z.string().regex(ACTION, 'must be vendor:action')).min(1)]),
    Resource: z
      .union([z.string().regex(RESOURCE_ARN, 'must be an ARN'), z.array(z.string().regex(RESOURCE_ARN, 'must be an ARN')).min(1)])
      .optional(),
    Condition: ConditionSchema.optional(),
  })
  .strict()
  .meta({ id: 'PolicyStatement' });
export type PolicyStatement = z.infer<typeof PolicyStatementSchema>;

export const PolicyDocumentSchema = z
  .object({ Version: z.literal(POLICY_VERSION), Statement: z.array(PolicyStatementSchema).min(1) })
  .strict()
  .meta({ id: 'PolicyDocument' });
export type PolicyDocument = z.infer<typeof PolicyDocumentSchema>;

/** A policy's size as IAM counts it against its quotas: every character but whitespace. */
export function policySize(document: PolicyDocument): number {
  return JSON.stringify(document).replace(/\s/g, '').length;
}
