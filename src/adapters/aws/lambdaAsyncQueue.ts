import type { InvokeCommand } from '@aws-sdk/client-lambda';
import { encodeJob, type JobSchema } from '../../domain/jobs';
import type { JobQueue } from '../../ports';
import { clientOptions } from '../clientBudgets';
import { translateAwsError } from '../dependencyFailures';

/**
 * Hands jobs to another function with an asynchronous Lambda invoke: Lambda queues the event and
 * retries it on a crash, and the caller does not wait. The payload is the job encoded by its own
 * schema — the one the receiving handler parses with. The SDK client is loaded on first use, so
 * functions that never hand anything over never load it.
 */
export class LambdaAsyncQueue<Job> implements JobQueue<Job> {
  private sender: Promise<(payload: Uint8Array) => Promise<unknown>> | undefined;

  constructor(
    private readonly functionName: string,
    private readonly schema: JobSchema<Job>,
    private readonly what: (job: Job) => string,
  ) {}

  async enqueue(job: Job): Promise<void> {
    // A job its own schema refuses is a bug here, not a dependency failure: let it surface as one.
    const payload = encodeJob(this.schema, job);
    this.sender ??= import('@aws-sdk/client-lambda').then(({ LambdaClient, InvokeCommand: Invoke }) => {
      const lambda = new LambdaClient(clientOptions());
      return (bytes: Uint8Array) =>
        lambda.send(new Invoke({ FunctionName: this.functionName, InvocationType: 'Event', Payload: bytes }) as InvokeCommand);
    });
    try {
      await (
        await this.sender
      )(payload);
    } catch (error) {
      // One code either way; the status says whether to retry (503: Lambda did not answer; 502: it refused, e.g. AccessDenied).
      throw translateAwsError(error, {
        code: 'ASYNC_HANDOFF_FAILED',
        message: `could not hand ${this.what(job)} to ${this.functionName}`,
        refused: 'broker',
      });
    }
  }
}
