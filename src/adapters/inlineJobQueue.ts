import type { JobQueue } from '../ports';

/**
 * Runs jobs in this process right after they are queued, without making the caller wait: the
 * local API's and the tests' stand-in for an asynchronous invoke. `settle()` waits for all of them.
 */
export class InlineJobQueue<Job> implements JobQueue<Job> {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly work: (job: Job) => Promise<unknown>,
    private readonly log: (entry: Record<string, unknown>) => void = (entry) => console.error(JSON.stringify(entry)),
  ) {}

  async enqueue(job: Job): Promise<void> {
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.work(job))
      .then(
        () => undefined,
        (error: unknown) => this.log({ level: 'ERROR', message: 'inline job failed', error: (error as Error).message }),
      )
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
