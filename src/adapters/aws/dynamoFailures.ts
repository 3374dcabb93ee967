import { MalformedRequestError, ValidationError, type BrokerError } from '../../domain/errors';
import { awsErrorCode, classifyAwsError, FailureClass, translateAwsError } from '../dependencyFailures';

const isNamed = (error: unknown, name: string) => (error as { name?: string } | undefined)?.name === name;

/** DynamoDB's refusal of an item over 400 KB (DynamoDB and dynalite word it alike). */
function isItemTooLarge(error: unknown): boolean {
  return isNamed(error, 'ValidationException') && /item size|maximum allowed size/i.test((error as Error).message ?? '');
}

/**
 * A DynamoDB failure of one of the broker's stores as a broker error: retryable ones are
 * STORE_UNAVAILABLE (503 + Retry-After); an item over DynamoDB's size limit is STORE_ITEM_TOO_LARGE
 * (422: the same input always fails); anything else DynamoDB refuses (AccessDenied, a missing
 * table) is the deployment's, a 502 with the AWS error name in `details.awsError`.
 */
export function storeFailure(error: unknown, what: string): BrokerError {
  if (error instanceof MalformedRequestError) return error;
  if (isItemTooLarge(error)) {
    return new ValidationError('STORE_ITEM_TOO_LARGE', `${what}: the item would exceed DynamoDB's 400 KB limit`, {
      cause: error,
      details: { awsError: 'ValidationException' },
    });
  }
  return translateAwsError(error, {
    code: (failure) => (failure.class === FailureClass.Retryable ? 'STORE_UNAVAILABLE' : awsErrorCode('STORE', failure.name)),
    message: what,
    refused: 'broker',
  });
}

/**
 * A Query that continued from a caller's cursor and that DynamoDB refused as invalid: the cursor
 * was forged or altered (a cursor this API issued always names a real position), so it is a 400.
 */
export function cursorRefusal(error: unknown, cursorGiven: boolean): MalformedRequestError | undefined {
  if (!cursorGiven || !isNamed(error, 'ValidationException') || classifyAwsError(error).class === FailureClass.Retryable) return undefined;
  return new MalformedRequestError('INVALID_CURSOR', 'the cursor is not one this API issued', { cause: error });
}
