import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { IdempotencyAlreadyInProgressError, IdempotencyValidationError } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { ConflictError } from '../../domain/errors';
import type { CallerIdentity } from '../../domain/identity';
import type { AccessRequestRecord } from '../../domain/requestLifecycle';

export interface SubmitInput {
  caller: CallerIdentity;
  body: unknown;
  /** The client's Idempotency-Key header. */
  key: string;
}

/** How long a key is remembered: long enough for any client retry, short enough to reuse keys. */
const KEY_LIFETIME_SECONDS = 24 * 3600;

/**
 * Wraps submit with Powertools' idempotency utility over the same single table: the same caller,
 * key and body give the stored result (the same request id); the same key with another body is a
 * 409, and so is a replay while the first call still runs.
 */
export function makeIdempotentSubmit(
  submit: (input: SubmitInput) => Promise<AccessRequestRecord>,
  client: DynamoDBClient,
  tableName: string,
): (input: SubmitInput, lambdaContext?: Context) => Promise<AccessRequestRecord> {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName,
    awsSdkV3Client: client,
    keyAttr: 'pk',
    sortKeyAttr: 'sk',
    staticPkValue: 'IDEMPOTENCY#submit',
    expiryAttr: 'expiration',
  });
  const config = new IdempotencyConfig({
    // The key is scoped to the caller, so one client cannot replay another's key.
    eventKeyJmesPath: '[caller.subject, key]',
    payloadValidationJmesPath: 'body',
    expiresAfterSeconds: KEY_LIFETIME_SECONDS,
  });
  // The stored result is what the table stores: plain JSON, no undefined fields.
  const idempotent = makeIdempotent(async (input: SubmitInput) => JSON.parse(JSON.stringify(await submit(input))) as AccessRequestRecord, {
    persistenceStore,
    config,
  });
  return async (input, lambdaContext) => {
    // With the Lambda context, a key left "in progress" by a crashed call frees up when that call would have timed out.
    if (lambdaContext) config.registerLambdaContext(lambdaContext);
    try {
      return await idempotent(input);
    } catch (error) {
      if (error instanceof IdempotencyValidationError) {
        throw new ConflictError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different body', { cause: error });
      }
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw new ConflictError('IDEMPOTENCY_IN_PROGRESS', 'a request with this Idempotency-Key is still being processed; retry shortly', {
          cause: error,
        });
      }
      throw error;
    }
  };
}
