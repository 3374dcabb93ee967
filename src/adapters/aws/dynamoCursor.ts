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
