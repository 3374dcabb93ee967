import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { IdentityConfig } from '../domain/brokerConfig';
import { UnauthenticatedError } from '../domain/errors';
import { IdentitySource, type CallerIdentity } from '../domain/identity';

/** An event whose caller this middleware has identified. */
export type IdentifiedEvent<Event = APIGatewayProxyEventV2> = Event & { caller: CallerIdentity };

interface AuthorizerContext {
  jwt?: { claims?: Record<string, unknown> };
  iam?: { userArn?: string; accountId?: string };
}

/**
 * HTTP API hands array claims to Lambda as a string such as "[admins devs]"; tokens decoded
 * elsewhere give real arrays; some IdPs send comma-separated strings. Accept all three.
 */
export function parseGroupsClaim(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  if (typeof value !== 'string') return [];
  const inner = value.trim().replace(/^\[(.*)\]$/s, '$1');
  return inner.split(/[\s,]+/).filter(Boolean);
}

/** An IAM principal as (account, name): an assumed-role session matches the role it assumed. */
function principalKey(arn: string): string | undefined {
  const match = arn.match(/^arn:[a-z-]+:(?:iam|sts)::(\d{12}):(role|user|assumed-role)\/(.+)$/);
  if (!match) return undefined;
  const [, account, kind, rest = ''] = match;
  const segments = rest.split('/');
  const name = kind === 'assumed-role' ? segments[0] : segments[segments.length - 1];
  return `${account}:${kind === 'user' ? 'user' : 'role'}:${name}`;
}

/** Reads the caller from API Gateway's JWT or IAM authorizer context; no identity is a 401. */
export function identifyCaller(event: APIGatewayProxyEventV2, config: IdentityConfig): CallerIdentity {
  const authorizer = (event.requestContext as { authorizer?: AuthorizerContext }).authorizer;
  const claims = authorizer?.jwt?.claims;
  if (claims && typeof claims.sub === 'string' && claims.sub) {
    const email = claims[config.emailClaim];
    return {
      subject: claims.sub,
      ...(typeof email === 'string' && email ? { email } : {}),
      groups: parseGroupsClaim(claims[config.groupsClaim]),
      source: IdentitySource.Jwt,
    };
  }
  const userArn = authorizer?.iam?.userArn;
  if (userArn) {
    const key = principalKey(userArn);
    const groups = config.iamPrincipals
      .filter((principal) => key && principalKey(principal.arn) === key)
      .flatMap((principal) => principal.groups);
    return { subject: userArn, groups: [...new Set(groups)], source: IdentitySource.Iam };
  }
  throw new UnauthenticatedError('no caller identity: send a bearer token from the configured issuer, or sign the request with SigV4');
}

/** Identifies the caller before the handler runs and puts the identity on `event.caller`. */
export function callerIdentity(config: () => IdentityConfig): MiddlewareObj<IdentifiedEvent> {
  const before = (request: Request<IdentifiedEvent>): void => {
    request.event.caller = identifyCaller(request.event, config());
  };
  return { before };
}
