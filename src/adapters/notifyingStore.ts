import type { WorkloadEvent } from '../domain/auditTrail';
import type { AccessRequestRecord, AuditEvent } from '../domain/requestLifecycle';
import type { AccessRequestFilter, AccessRequestStore, Notifier, Page, PageRequest } from '../ports';

/**
 * The request store, telling a notifier after every successful write. Every change from every entry
 * point (REST, Slack, provisioning, expiry) passes through here, so none goes untold.
 */
export class NotifyingStore implements AccessRequestStore {
  constructor(
    private readonly inner: AccessRequestStore,
    private readonly notifier: Notifier,
  ) {}

  private notify(record: AccessRequestRecord, isNew: boolean): Promise<void> {
    return this.notifier.requestStored(record, isNew);
  }

  async create(record: AccessRequestRecord): Promise<void> {
    await this.inner.create(record);
    await this.notify(record, true);
  }

  get(id: string): Promise<AccessRequestRecord | undefined> {
    return this.inner.get(id);
  }

  async replace(record: AccessRequestRecord, expectedVersion: number): Promise<void> {
    await this.inner.replace(record, expectedVersion);
    await this.notify(record, false);
  }

  list(filter: AccessRequestFilter, page: PageRequest): Promise<Page<AccessRequestRecord>> {
    return this.inner.list(filter, page);
  }

  events(id: string, page: PageRequest): Promise<Page<AuditEvent> | undefined> {
    return this.inner.events(id, page);
  }

  workloadEvents(workloadKey: string, page: PageRequest): Promise<Page<WorkloadEvent>> {
    return this.inner.workloadEvents(workloadKey, page);
  }
}
