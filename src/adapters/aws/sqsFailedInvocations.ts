import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { awsErrorCode, translateAwsError } from '../dependencyFailures';
import type { FailedInvocation, FailedInvocations } from '../../ports';

/** The record Lambda sends to an on-failure destination for an asynchronous invocation it gave up on. */
interface DestinationRecord {
  requestContext?: { condition?: string };
  requestPayload?: unknown;
}

/**
 * The provisioning function's on-failure destination, an SQS queue. Messages are received without
 * waiting (the sweep drains what is there) and deleted only once handled, so a sweep that dies
 * mid-way leaves them for the next one.
 */
export class SqsFailedInvocations implements FailedInvocations {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async receive(max: number): Promise<FailedInvocation[]> {
    const answer = await this.call('ReceiveMessage', () =>
      this.client.send(new ReceiveMessageCommand({ QueueUrl: this.queueUrl, MaxNumberOfMessages: Math.min(10, max), WaitTimeSeconds: 0 })),
    );
    return (answer.Messages ?? []).map((message) => {
      let record: DestinationRecord = {};
      try {
        record = JSON.parse(message.Body ?? '{}') as DestinationRecord;
      } catch {
        // Not a destination record: handed on with no payload, so the sweep drops it.
      }
      return { receipt: message.ReceiptHandle ?? '', payload: record.requestPayload, condition: record.requestContext?.condition };
    });
  }

  async delete(receipt: string): Promise<void> {
    await this.call('DeleteMessage', () => this.client.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt })));
  }

  private async call<Output>(operation: string, send: () => Promise<Output>): Promise<Output> {
    try {
      return await send();
    } catch (error) {
      throw translateAwsError(error, {
        code: (failure) => (failure.class === 'retryable' ? 'SQS_UNAVAILABLE' : awsErrorCode('SQS', failure.name)),
        message: `SQS ${operation} failed: ${(error as Error).message}`,
        details: { operation },
        refused: 'broker',
      });
    }
  }
}
