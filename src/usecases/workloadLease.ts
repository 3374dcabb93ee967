import { backOff } from 'exponential-backoff';
import { BrokerError, ConflictError, DependencyUnavailableError } from '../domain/errors';
import type { WorkloadRecord } from '../domain/workload';
import type { Clock, WorkloadStore } from '../ports';

/**
 * How long a lease holds a workload. Longer than the provisioning function's timeout (120 s), so a
 * live holder never loses it; a holder that died blocks the workload this long at most.
 */
export const WORKLOAD_LEASE_MS = 150_000;

export interface LeaseDeps {
  workloads: WorkloadStore;
  clock: Clock;
}

export interface LeaseOptions {
  /** How long to wait for another holder before giving up with a retryable WORKLOAD_BUSY. */
  waitMs: number;
  /** The workload to create when none exists; without it, a missing workload yields undefined. */
  create?: () => Promise<WorkloadRecord>;
}

const isRetryable = (error: unknown) =>
  error instanceof BrokerError && (error.code === 'WORKLOAD_BUSY' || error.code === 'CONCURRENT_UPDATE');

/**
 * Exclusive change of one workload's role. Every change to the role — create, trust, attach, detach,
 * delete — happens under the lease, so that a grant being added and the last grant being removed can
 * never interleave (which could delete a role another grant just attached to). Each write is also
 * conditional on the workload's version: a holder whose lease was taken over loses its next write.
 */
export class WorkloadLease {
  private constructor(
    private record: WorkloadRecord,
    private readonly holder: string,
    private readonly deps: LeaseDeps,
  ) {}

  get current(): WorkloadRecord {
    return this.record;
  }

  /** Takes the workload's lease for `holder` (again, if it already held it), waiting for another holder up to `waitMs`. */
  static async acquire(key: string, holder: string, deps: LeaseDeps, options: LeaseOptions): Promise<WorkloadLease | undefined> {
    const started = Date.now();
    const attempt = async (): Promise<WorkloadLease | undefined> => {
      const now = deps.clock.now();
      const lease = { holder, until: new Date(now.getTime() + WORKLOAD_LEASE_MS).toISOString() };
      const found = await deps.workloads.get(key);
      if (!found) {
        if (!options.create) return undefined;
        const created: WorkloadRecord = { ...(await options.create()), lease };
        await deps.workloads.put(created, undefined);
        return new WorkloadLease(created, holder, deps);
      }
      if (found.lease && found.lease.holder !== holder && Date.parse(found.lease.until) > now.getTime()) {
        throw new DependencyUnavailableError(
          'WORKLOAD_BUSY',
          `workload ${key} is being changed by access request ${found.lease.holder}; try again shortly`,
          { details: { workload: key, holder: found.lease.holder, until: found.lease.until } },
        );
      }
      const leased: WorkloadRecord = { ...found, lease, version: found.version + 1, updatedAt: now.toISOString() };
      await deps.workloads.put(leased, found.version);
      return new WorkloadLease(leased, holder, deps);
    };
    return backOff(attempt, {
      numOfAttempts: 1_000,
      startingDelay: 100,
      maxDelay: 2_000,
      jitter: 'full',
      retry: (error: unknown) => isRetryable(error) && Date.now() - started < options.waitMs,
    });
  }

  /** Writes a change of the workload, keeping the lease. */
  async save(change: (record: WorkloadRecord) => WorkloadRecord): Promise<WorkloadRecord> {
    const next = { ...change(this.record), version: this.record.version + 1, updatedAt: this.deps.clock.now().toISOString() };
    await this.deps.workloads.put(next, this.record.version);
    this.record = next;
    return next;
  }

  /** Writes a last change and lets go of the workload. */
  async release(change: (record: WorkloadRecord) => WorkloadRecord = (record) => record): Promise<void> {
    await this.save((record) => {
      const { lease: _lease, ...rest } = change(record);
      return rest;
    });
  }

  /** Deletes the workload item: its last grant is gone, and so are its role and binding. */
  async remove(): Promise<void> {
    if (this.record.lease?.holder !== this.holder) throw new ConflictError('CONCURRENT_UPDATE', `lost the lease on ${this.record.key}`);
    await this.deps.workloads.delete(this.record.key, this.record.version);
  }
}
