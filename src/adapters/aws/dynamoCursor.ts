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

/** The key attributes a cursor of an index must hold, and those whose value the list fixes. */
export interface CursorKeyShape {
  names: readonly string[];
  fixed?: Record<string, string>;
}

/**
 * The last key of a cursor this API issued for the same index and filters; anything else is a 400.
 * With `shape`, the key must hold exactly those string attributes (and the fixed values): a forged
 * key would otherwise reach DynamoDB, which refuses it only after a round trip.
 */
export function decodeCursor(text: string, index: string, filter: string, shape?: CursorKeyShape): Record<string, string | number> {
  let parsed: Cursor;
  try {
    parsed = CursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch (error) {
    throw new MalformedRequestError('INVALID_CURSOR', 'the cursor is not one this API issued', { cause: error });
  }
  if (parsed.index !== index || parsed.filter !== filter) {
    throw new MalformedRequestError('INVALID_CURSOR', 'the cursor belongs to a list with other filters');
  }
  if (shape && !hasShape(parsed.key, shape)) throw new MalformedRequestError('INVALID_CURSOR', 'the cursor is not one this API issued');
  return parsed.key;
}

function hasShape(key: Record<string, string | number>, shape: CursorKeyShape): boolean {
  const names = Object.keys(key).sort();
  const expected = [...shape.names].sort();
  return (
    names.length === expected.length &&
    names.every((name, position) => name === expected[position] && typeof key[name] === 'string' && key[name] !== '') &&
    Object.entries(shape.fixed ?? {}).every(([name, value]) => key[name] === value)
  );
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
