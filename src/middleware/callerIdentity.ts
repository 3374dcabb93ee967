import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { headerValue } from '../api/headers';
import type { IdentityConfig } from '../domain/brokerConfig';
import { UnauthenticatedError } from '../domain/errors';
import { IdentitySource, type CallerIdentity } from '../domain/identity';
import { iamPrincipalKey, resolvePerson } from '../domain/person';

/** An event whose caller this middleware has identified. */
export type IdentifiedEvent<Event = APIGatewayProxyEventV2> = Event & { caller: CallerIdentity };

interface AuthorizerContext {
  jwt?: { claims?: Record<string, unknown> };
  iam?: { userArn?: string; accountId?: string };
}

/**
 * Local mode only (serverless-offline, where no authorizer runs): the function itself checks the
 * unsigned token's issuer, audience and expiry. Never set in a deployment.
 */
export interface LocalTokenCheck {
  issuer: string;
  audience: string;
  now: () => Date;
}

type Claims = Record<string, unknown>;

const refuse = (code: string, message: string) => new UnauthenticatedError(message, { code });

/**
 * The payload of the bearer token in the Authorization header, decoded but not verified: API
 * Gateway's JWT authorizer has verified its signature before the function runs (locally, nothing
 * has, and the token is unsigned anyway).
 */
export function bearerTokenClaims(headers: Record<string, string | undefined> | undefined): Claims {
  const header = headerValue(headers, 'authorization');
  if (header === undefined) throw refuse('UNAUTHENTICATED', 'no caller identity: send a bearer token from the configured issuer');
  const match = header.match(/^Bearer ([\w-]+)\.([\w-]+)\.([\w-]*)$/i);
  if (!match) throw refuse('TOKEN_MALFORMED', 'the Authorization header must hold a bearer token (a JWT) from the configured issuer');
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(match[2]!, 'base64url').toString('utf8'));
  } catch (error) {
    throw new UnauthenticatedError('the bearer token is not a JWT', { code: 'TOKEN_MALFORMED', cause: error });
  }
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
    throw refuse('TOKEN_MALFORMED', 'the bearer token is not a JWT');
  return claims as Claims;
}

/**
 * The groups claim as the identity provider sent it: an array of strings, or nothing. API Gateway
 * hands claims to Lambda flattened into strings ("[a b]"), which cannot be split safely (a group
 * named "Contractors payments-leads" would become two), so a string is refused, never split.
 */
export function groupsFromClaim(value: unknown, claimName: string): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((group) => typeof group === 'string')) return [...new Set(value)];
  throw refuse('GROUPS_CLAIM_INVALID', `the token's "${claimName}" claim must be an array of strings`);
}

const audiences = (aud: unknown): unknown[] => (Array.isArray(aud) ? aud : [aud]);

/** What serverless-offline skips or gets wrong: issuer, audience, and an expiry that must exist. */
function checkLocally(claims: Claims, check: LocalTokenCheck): void {
  if (claims.iss !== check.issuer) throw refuse('TOKEN_ISSUER_INVALID', `the token is not from ${check.issuer}`);
  if (!audiences(claims.aud).includes(check.audience)) throw refuse('TOKEN_AUDIENCE_INVALID', `the token is not for ${check.audience}`);
  // A token without exp would never expire.
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw refuse('TOKEN_EXPIRY_MISSING', 'the token has no exp claim');
  if (claims.exp * 1000 <= check.now().getTime()) throw refuse('TOKEN_EXPIRED', 'the token has expired');
}

function jwtIdentity(claims: Claims, config: IdentityConfig): CallerIdentity {
  if (typeof claims.sub !== 'string' || !claims.sub) throw refuse('TOKEN_SUBJECT_MISSING', 'the token has no sub claim');
  const email = claims[config.emailClaim];
  const verifiedEmail = typeof email === 'string' && email ? email : undefined;
  const person = resolvePerson({ subject: claims.sub, email: verifiedEmail }, config);
  return {
    subject: claims.sub,
    ...(verifiedEmail ? { email: verifiedEmail } : {}),
    groups: groupsFromClaim(claims[config.groupsClaim], config.groupsClaim),
    source: IdentitySource.Jwt,
    ...(person ? { person } : {}),
  };
}

function iamIdentity(userArn: string, config: IdentityConfig): CallerIdentity {
  const key = iamPrincipalKey(userArn);
  const groups = config.iamPrincipals
    .filter((principal) => key && iamPrincipalKey(principal.arn) === key)
    .flatMap((principal) => principal.groups);
  const person = resolvePerson({ iamArn: userArn }, config);
  return { subject: userArn, groups: [...new Set(groups)], source: IdentitySource.Iam, ...(person ? { person } : {}) };
}

/**
 * Identifies the caller: JWT callers from the verified token's own payload (the authorizer's
 * context only proves a token was verified, and which), SigV4 callers from the IAM context. No
 * identity is a 401 with a code saying what was missing.
 */
export function identifyCaller(event: APIGatewayProxyEventV2, config: IdentityConfig, local?: LocalTokenCheck): CallerIdentity {
  if (local) {
    // Locally nothing verified anything: serverless-offline decodes claims on its own, and a request
    // header (sls-offline-authorizer-override) can fake any authorizer context. Only the token counts.
    const claims = bearerTokenClaims(event.headers);
    checkLocally(claims, local);
    return jwtIdentity(claims, config);
  }
  const authorizer = (event.requestContext as { authorizer?: AuthorizerContext }).authorizer;
  const verified = authorizer?.jwt?.claims;
  if (verified && typeof verified.sub === 'string') {
    const claims = bearerTokenClaims(event.headers);
    // The header must hold the very token the authorizer verified, not another one beside it.
    if (claims.sub !== verified.sub || claims.iss !== verified.iss) {
      throw refuse('TOKEN_MISMATCH', 'the bearer token is not the one the authorizer verified');
    }
    return jwtIdentity(claims, config);
  }
  const userArn = authorizer?.iam?.userArn;
  if (userArn) return iamIdentity(userArn, config);
  throw refuse('UNAUTHENTICATED', 'no caller identity: send a bearer token from the configured issuer, or sign the request with SigV4');
}

/**
 * Local mode, from the environment `npm start` sets for serverless-offline (which itself sets
 * IS_OFFLINE); a deployment sets neither, so there only API Gateway's authorizers identify anyone.
 */
export function localTokenCheckFromEnv(env: NodeJS.ProcessEnv = process.env): LocalTokenCheck | undefined {
  const issuer = env.IRSA_BROKER_LOCAL_JWT_ISSUER;
  const audience = env.IRSA_BROKER_LOCAL_JWT_AUDIENCE;
  if (env.IS_OFFLINE !== 'true' || !issuer || !audience) return undefined;
  return { issuer, audience, now: () => new Date() };
}

/** Identifies the caller before the handler runs and puts the identity on `event.caller`. */
export function callerIdentity(
  config: () => IdentityConfig,
  local: LocalTokenCheck | undefined = localTokenCheckFromEnv(),
): MiddlewareObj<IdentifiedEvent> {
  const before = (request: Request<IdentifiedEvent>): void => {
    request.event.caller = identifyCaller(request.event, config(), local);
  };
  return { before };
}
