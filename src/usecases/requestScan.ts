import type { AccessRequestRecord, RequestStatus } from '../domain/requestLifecycle';
import type { AccessRequestStore } from '../ports';

/** Every request in one state, a page at a time, for the scheduled sweeps. */
export async function* allWithStatus(status: RequestStatus, deps: { store: AccessRequestStore }): AsyncGenerator<AccessRequestRecord> {
  let cursor: string | undefined;
  do {
    const page = await deps.store.list({ status }, { limit: 100, cursor });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

/** How a sweep reports one request it could not handle (and tries again on its next run). */
export const sweepFailureOf = (id: string, error: unknown) => ({
  id,
  code: (error as { code?: string }).code ?? 'ERROR',
  message: (error as Error).message,
});
