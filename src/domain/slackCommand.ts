import { ValidationError } from './errors';

/** What `/irsa …` asks for. */
export type SlackCommand =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'status'; id: string }
  | { kind: 'open-request-form' }
  | { kind: 'request'; body: Record<string, unknown> }
  | { kind: 'extend'; id: string; body: Record<string, unknown> };

export const SLACK_USAGE = [
  '`/irsa request` opens a form; or, in one line:',
  '`/irsa request <cluster>/<namespace>/<serviceAccount> <grant>… [for <N>h|<N>d] [-- justification]`',
  '  grants: `s3:<bucket>[/<prefix>]:<read|write|read-write|list>` or `policy:<managed policy ARN>`',
  '`/irsa extend <request id> <N>h|<N>d -- justification` asks for more time on an active grant, counted from when it is granted',
  '`/irsa status <request id>` · `/irsa list` · `/irsa help`',
].join('\n');

const usageError = (message: string) => new ValidationError('SLACK_COMMAND_INVALID', `${message}\n${SLACK_USAGE}`);

function parseGrant(token: string): Record<string, unknown> {
  if (token.startsWith('policy:')) return { type: 'managed-policy', arn: token.slice('policy:'.length) };
  const match = token.match(/^s3:([^/:]+)(?:\/([^:]*))?:([a-z-]+)$/);
  if (!match) throw usageError(`cannot read grant "${token}"`);
  const [, bucket, prefix, level] = match;
  return { type: 's3', bucket, ...(prefix ? { prefix } : {}), level };
}

function parseDuration(token: string): number {
  const match = token.match(/^(\d+)([hd])$/);
  if (!match) throw usageError(`cannot read duration "${token}" (use e.g. 12h or 7d)`);
  return Number(match[1]) * (match[2] === 'd' ? 24 : 1);
}

/** The words before the first " -- " and the justification after it (which may contain more). */
function splitJustification(text: string): { tokens: string[]; justification?: string } {
  const separator = text.match(/\s--\s/);
  const head = separator?.index === undefined ? text : text.slice(0, separator.index);
  const justification = separator?.index === undefined ? undefined : text.slice(separator.index + separator[0].length);
  return { tokens: head.trim().split(/\s+/).filter(Boolean), ...(justification?.trim() ? { justification: justification.trim() } : {}) };
}

/** `extend <id> <duration> -- <justification>`; the result is an extension body for the usual schema. */
function parseExtension(text: string): { id: string; body: Record<string, unknown> } {
  const { tokens, justification } = splitJustification(text);
  if (tokens.length !== 2 || !justification) throw usageError('`/irsa extend` takes a request id, a duration and `-- justification`');
  const [id, duration] = tokens as [string, string];
  return { id, body: { durationHours: parseDuration(duration), justification } };
}

/** The one-line request form; the result is an access-request body for the usual schema. */
function parseCompactRequest(text: string): Record<string, unknown> {
  const { tokens, justification } = splitJustification(text);
  const [target, ...rest] = tokens;
  const parts = target?.split('/') ?? [];
  if (parts.length !== 3) throw usageError('name the workload as <cluster>/<namespace>/<serviceAccount>');
  const [cluster, namespace, serviceAccount] = parts;
  const grants: Record<string, unknown>[] = [];
  let durationHours: number | undefined;
  for (let index = 0; index < rest.length; index++) {
    const token = rest[index]!;
    if (token === 'for') {
      durationHours = parseDuration(rest[++index] ?? '');
      continue;
    }
    grants.push(parseGrant(token));
  }
  if (grants.length === 0) throw usageError('name at least one grant');
  return {
    cluster,
    namespace,
    serviceAccount,
    grants,
    // A zero duration is passed on, so the schema refuses it instead of granting the rule's maximum.
    ...(durationHours !== undefined ? { durationHours } : {}),
    ...(justification ? { justification } : {}),
  };
}

/** Reads the text after `/irsa`. */
export function parseSlackCommand(text: string): SlackCommand {
  const trimmed = text.trim();
  const [verb = '', ...rest] = trimmed.split(/\s+/);
  const remainder = trimmed.slice(verb.length).trim();
  switch (verb.toLowerCase()) {
    case '':
    case 'help':
      return { kind: 'help' };
    case 'list':
      return { kind: 'list' };
    case 'status':
      if (rest.length !== 1) throw usageError('`/irsa status` takes one request id');
      return { kind: 'status', id: rest[0]! };
    case 'request':
      return remainder ? { kind: 'request', body: parseCompactRequest(remainder) } : { kind: 'open-request-form' };
    case 'extend':
      return { kind: 'extend', ...parseExtension(remainder) };
    default:
      throw usageError(`unknown command "${verb}"`);
  }
}
