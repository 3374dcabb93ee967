import { notifyJobOf, type SlackJob } from '../domain/jobs';
import type { AccessRequestRecord } from '../domain/requestLifecycle';
import type { JobQueue, Notifier } from '../ports';

/**
 * Hands each notification to the Slack worker as the facts of that change (status, note), so the
 * message describes exactly that change even if the request moves on meanwhile, without sending the
 * whole record. A hand-off that fails is logged: a lost notification must not undo or fail the change.
 */
export class QueuedNotifier implements Notifier {
  constructor(
    private readonly jobs: JobQueue<SlackJob>,
    private readonly log: (entry: Record<string, unknown>) => void = (entry) => console.warn(JSON.stringify(entry)),
  ) {}

  async requestStored(record: AccessRequestRecord, isNew: boolean): Promise<void> {
    try {
      await this.jobs.enqueue(notifyJobOf(record, isNew));
    } catch (error) {
      this.log({ level: 'WARN', message: 'notification hand-off failed', requestId: record.id, error: (error as Error).message });
    }
  }
}
