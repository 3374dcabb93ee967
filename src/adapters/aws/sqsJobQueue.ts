import { clientOptions } from '../clientBudgets';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DependencyUnavailableError } from '../../domain/errors';
import { encodeJob, type JobSchema } from '../../domain/jobs';
import type { JobQueue } from '../../ports';

export interface FifoKeys<Job> {
  /** Messages of one group are delivered one at a time, in order: one account's passes never overlap. */
  groupOf: (job: Job) => string;
  /** SQS drops a second message with the same id within five minutes: a retried send is sent once. */
  deduplicationOf: (job: Job) => string;
}

/**
 * Hands jobs to a consumer function through an SQS FIFO queue (its event source mapping invokes the
 * consumer, a failed message is retried and then moved to the dead-letter queue). The body is the
 * job encoded by its own schema, the one the consumer parses with.
 */
export class SqsJobQueue<Job> implements JobQueue<Job> {
  constructor(
    private readonly queueUrl: string,
    private readonly schema: JobSchema<Job>,
    private readonly keys: FifoKeys<Job>,
    private readonly what: (job: Job) => string,
    private readonly client: SQSClient = new SQSClient(clientOptions()),
  ) {}

  async enqueue(job: Job): Promise<void> {
    // A job its own schema refuses is a bug here, not a dependency failure: let it surface as one.
    const body = new TextDecoder().decode(encodeJob(this.schema, job));
    try {
      await this.client.send(
        new SendMessageCommand({
          QueueUrl: this.queueUrl,
          MessageBody: body,
          MessageGroupId: this.keys.groupOf(job),
          MessageDeduplicationId: this.keys.deduplicationOf(job),
        }),
      );
    } catch (error) {
      throw new DependencyUnavailableError('QUEUE_SEND_FAILED', `could not queue ${this.what(job)}`, { cause: error });
    }
  }
}
