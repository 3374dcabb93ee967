import { asCommitted } from '../domain/auditTrail';
import { SYSTEM_IDENTITY } from '../domain/identity';
import { AuditEventType, recordDecision, type AccessRequestRecord } from '../domain/requestLifecycle';
import type { AccessRequestStore, Clock } from '../ports';

type Progress = NonNullable<AccessRequestRecord['provisioning']>;

/**
 * A request being worked on by the system: every change is written at once under the request's
 * version, so the audit trail holds each AWS change the moment it is made, and a second worker on
 * the same request loses the race instead of duplicating work.
 */
export class GrantJournal {
  constructor(
    private record: AccessRequestRecord,
    private readonly deps: { store: AccessRequestStore; clock: Clock },
  ) {}

  get current(): AccessRequestRecord {
    return this.record;
  }

  get progress(): Progress {
    return this.record.provisioning ?? {};
  }

  now(): Date {
    return this.deps.clock.now();
  }

  /**
   * Writes a changed record if nobody else changed it first. The journal then holds the record as the
   * store would return it, so a provisioning run of many writes does not carry (and rewrite) every
   * event it made so far.
   */
  async apply(change: (record: AccessRequestRecord) => AccessRequestRecord): Promise<AccessRequestRecord> {
    const next = { ...change(this.record), version: this.record.version + 1 };
    await this.deps.store.replace(next, this.record.version);
    this.record = asCommitted(next);
    return this.record;
  }

  /** Records one change made outside the store (AWS, Kubernetes), with optional progress. */
  change(reason: string, progress: Partial<Progress> = {}, type: AuditEventType = AuditEventType.AwsChange): Promise<AccessRequestRecord> {
    return this.apply((record) => ({
      ...recordDecision(record, { type, actor: SYSTEM_IDENTITY, at: this.now(), reason }),
      provisioning: { ...record.provisioning, ...progress },
    }));
  }
}
