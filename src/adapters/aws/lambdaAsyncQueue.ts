import type { InvokeCommand } from '@aws-sdk/client-lambda';
import { DependencyUnavailableError } from '../../domain/errors';
import type { JobQueue } from '../../ports';

/**
 * Hands jobs to another function with an asynchronous Lambda invoke: Lambda queues the event and
 * retries it on a crash, and the caller does not wait. The SDK client is loaded on first use, so
 * functions that never hand anything over never load it.
 */
export class LambdaAsyncQueue<Job> implements JobQueue<Job> {
  private sender: Promise<(job: Job) => Promise<unknown>> | undefined;

  constructor(
    private readonly functionName: string,
    private readonly what: (job: Job) => string,
  ) {}

  async enqueue(job: Job): Promise<void> {
    this.sender ??= import('@aws-sdk/client-lambda').then(({ LambdaClient, InvokeCommand: Invoke }) => {
      const lambda = new LambdaClient({});
      const payload = (item: Job) => new TextEncoder().encode(JSON.stringify(item));
      return (item: Job) =>
        lambda.send(new Invoke({ FunctionName: this.functionName, InvocationType: 'Event', Payload: payload(item) }) as InvokeCommand);
    });
    try {
      await (
        await this.sender
      )(job);
    } catch (error) {
      throw new DependencyUnavailableError('ASYNC_HANDOFF_FAILED', `could not hand ${this.what(job)} to ${this.functionName}`, {
        cause: error,
      });
    }
  }
}
