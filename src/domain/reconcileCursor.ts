import * as z from 'zod';
import type { AccessRequestRecord } from './requestLifecycle';

/**
 * Where an account's reconcile cycle stands. Grants are visited in the order they were created
 * (then by id), which never changes between passes: a pass cut short by its time budget leaves
 * `after` at the last grant it finished, the next pass resumes behind it, and only a pass that
 * reached the end clears it, so every grant is covered once per cycle before the cycle starts over.
 * Grants created during a cycle sort last and are covered in the same cycle.
 */
export const ReconcileCursorSchema = z
  .object({
    accountId: z.string(),
    /** The scheduled pass that wrote it last: a continuation of an older pass then knows a newer one took over. */
    passId: z.string().optional(),
    /** The position of the last grant finished in this cycle; absent: the cycle starts at the beginning. */
    after: z.string().optional(),
    /** When the current cycle's first pass started. */
    cycleStartedAt: z.string(),
    /** Cycles completed so far. */
    cycles: z.number().int().min(0),
    updatedAt: z.string(),
  })
  .strict();
export type ReconcileCursor = z.infer<typeof ReconcileCursorSchema>;

/** A grant's place in the reconcile order: creation time, then id, so equal instants still sort one way. */
export function reconcilePositionOf(record: Pick<AccessRequestRecord, 'createdAt' | 'id'>): string {
  return `${record.createdAt}#${record.id}`;
}
