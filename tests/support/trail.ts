import type { AuditEvent } from '../../src/domain/requestLifecycle';
import type { AccessRequestStore } from '../../src/ports';

/** A request's whole committed trail, oldest first, read page by page as a client would. */
export async function readTrail(store: Pick<AccessRequestStore, 'events'>, id: string, limit = 100): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.events(id, { limit, cursor });
    if (!page) throw new Error(`no access request ${id} in the store`);
    events.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return events;
}
