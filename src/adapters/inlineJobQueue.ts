import type { JobQueue } from '../ports';

type Worker = (job: never) => Promise<unknown>;
/** Workers by the name of the function they stand in for, registered by whoever runs inline (tests). */
const workers = new Map<string, Worker>();
/** Jobs still running, across every inline queue of the process. */
const running = new Set<Promise<void>>();

/** Makes `functionName`'s jobs run in this process. */
export function registerInlineWorker<Job>(functionName: string, work: (job: Job) => Promise<unknown>): void {
  workers.set(functionName, work as Worker);
}

/** Waits until every job queued inline (and every job those queued) has finished. */
export async function settleInlineJobs(): Promise<void> {
  while (running.size > 0) await Promise.all([...running]);
}

/**
 * Runs jobs in this process right after they are queued, without making the caller wait: the tests'
 * stand-in for an asynchronous invoke. Production code never imports a worker for it: the worker is
 * registered by name, so bundles do not carry other functions' code.
 */
export class InlineJobQueue<Job> implements JobQueue<Job> {
  constructor(
    private readonly functionName: string,
    private readonly log: (entry: Record<string, unknown>) => void = (entry) => console.error(JSON.stringify(entry)),
  ) {}

  async enqueue(job: Job): Promise<void> {
    const work = workers.get(this.functionName) as ((job: Job) => Promise<unknown>) | undefined;
    if (!work) throw new Error(`no inline worker registered for ${this.functionName}`);
    const run = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => work(job))
      .then(
        () => undefined,
        (error: unknown) =>
          this.log({ level: 'ERROR', message: 'inline job failed', function: this.functionName, error: (error as Error).message }),
      )
      .finally(() => running.delete(run));
    running.add(run);
  }
}
