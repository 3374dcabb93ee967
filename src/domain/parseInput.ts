import type * as z from 'zod';
import { ValidationError } from './errors';

/** One schema violation, as the API reports it. */
export interface InputIssue {
  path: string;
  message: string;
}

/** The issues of a failed parse, with dotted paths a client can point at. */
export function describeIssues(error: z.ZodError): InputIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** Parses client input with a schema, or throws a 422-kind error listing every issue. */
export function parseInput<Schema extends z.ZodType>(schema: Schema, input: unknown, what: string): z.infer<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  const first = issues[0];
  throw new ValidationError(
    'REQUEST_INVALID',
    `${what} is invalid: ${first ? `${first.path || '(body)'}: ${first.message}` : 'unknown issue'}`,
    {
      details: { issues },
    },
  );
}
