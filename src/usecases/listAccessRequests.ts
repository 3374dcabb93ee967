import * as z from 'zod';
import { ClusterNameSchema, NamespaceNameSchema } from '../domain/names';
import { parseInput } from '../domain/parseInput';
import { RequestStatusSchema, type AccessRequestRecord } from '../domain/requestLifecycle';
import type { Page } from '../ports';
import type { AccessRequestDeps } from './accessRequestDeps';

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

/** Access requests matching the filters, newest first, a page at a time. */
export function listAccessRequests(query: unknown, deps: Pick<AccessRequestDeps, 'store'>): Promise<Page<AccessRequestRecord>> {
  const { limit, cursor, ...filter } = parseInput(ListAccessRequestsQuerySchema, query ?? {}, 'query');
  return deps.store.list(filter, { limit, cursor });
}
