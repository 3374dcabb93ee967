import { ValidationError } from './errors';

/** What `/irsa …` asks for. */
export type SlackCommand =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'status'; id: string }
  | { kind: 'open-request-form' }
  | { kind: 'request'; body: Record<string, unknown> };

export const SLACK_USAGE = [
  '`/irsa request` opens a form; or, in one line:',
  '`/irsa request <cluster>/<namespace>/<serviceAccount> <grant>… [for <N>h|<N>d] [-- justification]`',
  '  grants: `s3:<bucket>[/<prefix>]:<read|write|read-write|list>` or `policy:<managed policy ARN>`',
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

/** The one-line request form; the result is an access-request body for the usual schema. */
function parseCompactRequest(text: string): Record<string, unknown> {
  // Only the first " -- " separates: a justification may contain more.
  const separator = text.match(/\s--\s/);
  const head = separator?.index === undefined ? text : text.slice(0, separator.index);
  const justification = separator?.index === undefined ? undefined : text.slice(separator.index + separator[0].length);
  const tokens = (head ?? '').trim().split(/\s+/).filter(Boolean);
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
    ...(justification?.trim() ? { justification: justification.trim() } : {}),
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
    default:
      throw usageError(`unknown command "${verb}"`);
  }
}
