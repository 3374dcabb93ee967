// moto's sts:AssumeRole checks nothing about the role: not that it exists, not its trust policy, not
// the external id or the session name (measured, see tests/harness/README.md). Real STS refuses all
// of those with AccessDenied. This client plugin does that part of STS's job before the call leaves
// the process, reading the role's trust policy from moto, so tests of "a spoke that does not trust
// the hub" see exactly the error real STS would give the broker.
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { AwsCredentialIdentity, Pluggable } from '@smithy/types';
import { matchesWildcard } from '../../../src/domain/wildcardMatch';

export interface StsTrustOptions {
  endpoint: string;
  /** Who calls AssumeRole, as the trust policy would name it (the hub's role ARN). */
  callerArn: string;
  /** Credentials that may read every account's IAM in moto (the harness keys). */
  credentials: AwsCredentialIdentity;
  /** Every AssumeRole the plugin saw, allowed or not. */
  seen?: { roleArn: string; sessionName: string; allowed: boolean }[];
}

interface TrustStatement {
  Effect?: string;
  Action?: string | string[];
  Principal?: { AWS?: string | string[] };
  Condition?: Record<string, Record<string, string | string[]>>;
}

const asList = (value: string | string[] | undefined) => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** An IAM client that acts in `accountId` of moto (the x-moto-account-id header). */
export function iamInAccount(endpoint: string, credentials: AwsCredentialIdentity, accountId: string): IAMClient {
  const client = new IAMClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = accountId;
      return next(args);
    },
    { step: 'build', name: 'motoAccount' },
  );
  return client;
}

/** What STS's trust evaluation needs: an Allow for the caller whose conditions all hold. */
function trusts(statements: TrustStatement[], callerArn: string, input: { ExternalId?: string; RoleSessionName?: string }): boolean {
  const callerAccount = callerArn.split(':')[4];
  const principals = new Set([callerArn, `arn:aws:iam::${callerAccount}:root`, callerAccount]);
  const context: Record<string, string | undefined> = { 'sts:externalid': input.ExternalId, 'sts:rolesessionname': input.RoleSessionName };
  return statements.some((statement) => {
    if (statement.Effect !== 'Allow' || !asList(statement.Action).includes('sts:AssumeRole')) return false;
    if (!asList(statement.Principal?.AWS).some((principal) => principals.has(principal))) return false;
    return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
      Object.entries(keys).every(([key, wanted]) => {
        const actual = context[key.toLowerCase()];
        if (actual === undefined) return false;
        if (operator === 'StringEquals') return asList(wanted).includes(actual);
        if (operator === 'StringLike') return asList(wanted).some((pattern) => matchesWildcard(pattern, actual));
        // An operator this stand-in does not know fails closed, as an unmet condition would.
        return false;
      }),
    );
  });
}

/** The plugin: refuses an AssumeRole the role's trust policy would refuse, as STS does. */
export function stsTrustPlugin(options: StsTrustOptions): Pluggable<object, object> {
  return {
    applyToStack: (stack) =>
      stack.add(
        (next, context) => async (args) => {
          if ((context as { commandName?: string }).commandName !== 'AssumeRoleCommand') return next(args);
          const input = args.input as { RoleArn: string; RoleSessionName?: string; ExternalId?: string };
          const [, , , , accountId = '', resource = ''] = input.RoleArn.split(':');
          const roleName = resource.split('/').pop() ?? '';
          const iam = iamInAccount(options.endpoint, options.credentials, accountId);
          const role = await iam.send(new GetRoleCommand({ RoleName: roleName })).catch(() => undefined);
          const document = role?.Role?.AssumeRolePolicyDocument;
          const statements = document ? (JSON.parse(decodeURIComponent(document)).Statement as TrustStatement[]) : [];
          const allowed = role?.Role?.Arn === input.RoleArn && trusts(statements, options.callerArn, input);
          options.seen?.push({ roleArn: input.RoleArn, sessionName: input.RoleSessionName ?? '', allowed });
          if (!allowed) {
            // STS gives one answer for a missing role, a trust that does not name the caller and a wrong external id.
            throw Object.assign(
              new Error(`User: ${options.callerArn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`),
              { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } },
            );
          }
          return next(args);
        },
        { step: 'initialize', name: 'stsTrustStandIn' },
      ),
  };
}
