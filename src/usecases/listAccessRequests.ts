import * as z from 'zod';
import { ClusterNameSchema, NamespaceNameSchema } from '../domain/names';
import { parseInput } from '../domain/parseInput';
import type { CallerIdentity } from '../domain/identity';
import { RequestStatusSchema } from '../domain/requestLifecycle';
import type { Page } from '../ports';
import type { AccessRequestDeps } from './accessRequestDeps';
import { readerOf, type ReadableRequest } from './getAccessRequest';

/** The list's query string. */
export const ListAccessRequestsQuerySchema = z
  .object({
    status: RequestStatusSchema.optional(),
    cluster: ClusterNameSchema.optional(),
    namespace: NamespaceNameSchema.optional(),
    requester: z.string().min(1).max(512).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(2048).optional(),
  })
  .strict()
  .meta({ id: 'ListAccessRequestsQuery' });

/**
 * Access requests matching the filters that the caller may read, newest first, a page at a time.
 * What the caller may not read is left out of the page, so a page may hold fewer than `limit`.
 */
export async function listAccessRequests(
  query: unknown,
  caller: CallerIdentity,
  deps: Pick<AccessRequestDeps, 'store' | 'config'>,
): Promise<Page<ReadableRequest>> {
  const { limit, cursor, ...filter } = parseInput(ListAccessRequestsQuerySchema, query ?? {}, 'query');
  const page = await deps.store.list(filter, { limit, cursor });
  const items = page.items.flatMap((record) => {
    const { mayRead, reader } = readerOf(record, caller, deps);
    return mayRead ? [{ record, reader }] : [];
  });
  return { ...page, items };
}
