import { asCommitted } from '../domain/auditTrail';
import { BrokerError, ConflictError, isRetryable } from '../domain/errors';
import { SYSTEM_IDENTITY } from '../domain/identity';
import {
  AuditEventType,
  recordDecision,
  type AccessRequestRecord,
  type ChangeIntent,
  type RequestStatus,
} from '../domain/requestLifecycle';
import type { AccessRequestStore, Clock } from '../ports';

type Progress = NonNullable<AccessRequestRecord['provisioning']>;

/** Who a journal writes for: the states in which it may start a change, and for provisioning its attempt. */
export interface JournalRun {
  /** A change may be started only while the record is in one of these (provisioning: `provisioning`; ending: `revoking`). */
  mayChangeIn: readonly RequestStatus[];
  /** The provisioning attempt this run is; a record with another attempt belongs to another run. */
  attempt?: number;
}

/** A confirmation must land even when someone else wrote first (a revoke, a notifier): it re-reads this often. */
const MAX_WRITE_ATTEMPTS = 8;

const isLostRace = (error: unknown) => error instanceof ConflictError && error.code === 'CONCURRENT_UPDATE';

/**
 * A request being worked on by the system. Every AWS or Kubernetes change is written ahead: the
 * intent first (conditional on the record this run read, and on its state still allowing the change),
 * then the call, then its confirmation. So the trail never misses a change that happened (an
 * unconfirmed intent is settled with a read by the next run) and never claims one that did not; and
 * once a revoke is recorded no run can start another change (its intent write loses the race, and the
 * re-read record no longer allows it).
 */
export class GrantJournal {
  constructor(
    private record: AccessRequestRecord,
    private readonly deps: { store: AccessRequestStore; clock: Clock },
    private readonly run: JournalRun = { mayChangeIn: [] },
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

  /** Whether this run may still start a change: the record is in a state it works in, and (for provisioning) still its attempt. */
  holdsRecord(record: AccessRequestRecord = this.record): boolean {
    if (!this.run.mayChangeIn.includes(record.status)) return false;
    return this.run.attempt === undefined || record.provisioning?.attempts === this.run.attempt;
  }

  /** Throws RUN_SUPERSEDED when this run may no longer change anything for the request. */
  assertHoldsRecord(): void {
    if (this.holdsRecord()) return;
    throw new ConflictError(
      'RUN_SUPERSEDED',
      `access request ${this.record.id} is ${this.record.status} and no longer this run's to change`,
      {
        details: { current: this.record.status },
      },
    );
  }

  /**
   * A write of this run's own: after a lost race it re-reads and applies the change again, but only
   * while the record still allows this run to change it (a revoke in between ends the run).
   */
  async applyWhileHeld(change: (record: AccessRequestRecord) => AccessRequestRecord): Promise<AccessRequestRecord> {
    return this.retryLostRaces(change, () => this.assertHoldsRecord());
  }

  /**
   * Makes one change outside the store, written ahead. `madeChange` says from the call's result
   * whether it changed anything (a create that found the object already there did not); without it,
   * a call that returns made its change. A call the dependency refused is recorded as not made; one
   * that got no answer (a timeout, a lost connection) leaves its intent unconfirmed — it may or may
   * not have happened — and the next run settles it with a read.
   */
  async perform<Output>(
    intent: Omit<ChangeIntent, 'at'>,
    call: () => Promise<Output>,
    options: {
      progress?: Partial<Progress>;
      madeChange?: (output: Output) => boolean;
      /** The confirmed change's name when the call's result says more than the intent (created or adopted). */
      reasonOf?: (output: Output) => string;
      /** The event a confirmation becomes, when not the plain AWS or Kubernetes change (a drift repair). */
      type?: AuditEventType;
    } = {},
  ): Promise<Output> {
    this.assertHoldsRecord();
    await this.applyWhileHeld((record) => ({
      ...recordDecision(record, { type: AuditEventType.ChangeIntended, actor: SYSTEM_IDENTITY, at: this.now(), reason: intent.reason }),
      provisioning: { ...record.provisioning, intent: { ...intent, at: this.now().toISOString() } },
    }));
    let output: Output;
    try {
      output = await call();
    } catch (error) {
      // A dependency that refused the call (an answer, not a timeout) did not make the change.
      if (error instanceof BrokerError && !isRetryable(error))
        await this.settle(false, `${intent.reason}: refused (${error.code})`).catch(() => undefined);
      throw error;
    }
    const made = options.madeChange?.(output) ?? true;
    const reason = options.reasonOf?.(output) ?? intent.reason;
    await this.settle(made, made ? reason : `${reason}: nothing to change`, options.progress, options.type);
    return output;
  }

  /**
   * Records how the pending intent ended — made (as the change it names) or not made — and clears
   * it. It always lands: a confirmation is true whatever state the record has moved to meanwhile.
   */
  async settle(made: boolean, reason: string, progress: Partial<Progress> = {}, type?: AuditEventType): Promise<AccessRequestRecord> {
    const pending = this.record.provisioning?.intent;
    const eventType = made ? (type ?? (pending ? typeOf(pending) : AuditEventType.AwsChange)) : AuditEventType.ChangeNotMade;
    return this.retryLostRaces(
      (record) => ({
        ...recordDecision(record, { type: eventType, actor: SYSTEM_IDENTITY, at: this.now(), reason }),
        // Progress only for a change made: a create that found someone else's object made nothing of the grant's.
        provisioning: { ...record.provisioning, ...(made ? progress : {}), intent: undefined },
      }),
      () => undefined,
    );
  }

  /** Records a change already made, without an intent: for steps that change nothing outside the store before it. */
  change(reason: string, progress: Partial<Progress> = {}, type: AuditEventType = AuditEventType.AwsChange): Promise<AccessRequestRecord> {
    return this.apply((record) => ({
      ...recordDecision(record, { type, actor: SYSTEM_IDENTITY, at: this.now(), reason }),
      provisioning: { ...record.provisioning, ...progress },
    }));
  }

  private async retryLostRaces(
    change: (record: AccessRequestRecord) => AccessRequestRecord,
    checkReread: () => void,
  ): Promise<AccessRequestRecord> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.apply(change);
      } catch (error) {
        if (!isLostRace(error) || attempt >= MAX_WRITE_ATTEMPTS) throw error;
        const latest = await this.deps.store.get(this.record.id);
        if (!latest) throw error;
        this.record = latest;
        checkReread();
      }
    }
  }
}

/** The event a confirmed intent becomes: a change in a cluster, or in AWS. */
function typeOf(intent: Pick<ChangeIntent, 'action'>): AuditEventType {
  return intent.action === 'ApplyServiceAccount' || intent.action === 'RemoveServiceAccount'
    ? AuditEventType.KubernetesChange
    : AuditEventType.AwsChange;
}
