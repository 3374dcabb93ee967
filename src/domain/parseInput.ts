import type * as z from 'zod';
import { ValidationError } from './errors';

/** One schema violation, as the API reports it. */
export interface InputIssue {
  path: string;
  message: string;
}

type Issue = z.ZodError['issues'][number];

function flatten(issue: Issue, prefix: PropertyKey[]): InputIssue[] {
  const path = [...prefix, ...issue.path];
  // A bad record key or union member hides its real reason in nested issues: report those.
  const nested = 'issues' in issue && Array.isArray(issue.issues) ? (issue.issues as unknown[]).flat() : [];
  if (nested.length > 0) return (nested as Issue[]).flatMap((inner) => flatten(inner, path));
  return [{ path: path.map(String).join('.'), message: issue.message }];
}

/** The issues of a failed parse, with dotted paths a client can point at. */
export function describeIssues(error: z.ZodError): InputIssue[] {
  return error.issues.flatMap((issue) => flatten(issue, []));
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
