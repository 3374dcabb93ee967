import * as z from 'zod';
import { MalformedRequestError } from '../../domain/errors';

const CursorSchema = z
  .object({ index: z.string(), filter: z.string(), key: z.record(z.string(), z.union([z.string(), z.number()])) })
  .strict();
export type Cursor = z.infer<typeof CursorSchema>;

/** An opaque page cursor: the index, the filters it was issued for, and DynamoDB's last key. */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/** The last key of a cursor this API issued for the same index and filters; anything else is a 400. */
export function decodeCursor(text: string, index: string, filter: string): Record<string, string | number> {
  let parsed: Cursor;
  try {
    parsed = CursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch (error) {
    throw new MalformedRequestError('INVALID_CURSOR', 'the cursor is not one this API issued', { cause: error });
  }
  if (parsed.index !== index || parsed.filter !== filter) {
    throw new MalformedRequestError('INVALID_CURSOR', 'the cursor belongs to a list with other filters');
  }
  return parsed.key;
}

/** One Query of an index: newest first, `limit` items at most, from `startKey`. */
export type IndexQuery = (
  limit: number,
  startKey: Record<string, string | number> | undefined,
) => Promise<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>;

/**
 * Reads a page of up to `limit` items. A FilterExpression applies after DynamoDB's Limit, so this
 * keeps querying until the page is full or the index ends. `more` says whether a next page may hold
 * items (the last item's key then makes the cursor).
 */
export async function readFullPage<Item>(
  query: IndexQuery,
  limit: number,
  startKey: Record<string, string | number> | undefined,
): Promise<{ items: Item[]; more: boolean }> {
  const items: Item[] = [];
  let next = startKey;
  do {
    const output = await query(limit - items.length, next);
    items.push(...((output.Items ?? []) as Item[]));
    next = output.LastEvaluatedKey as Record<string, string | number> | undefined;
  } while (next && items.length < limit);
  return { items, more: items.length === limit && next !== undefined };
}
