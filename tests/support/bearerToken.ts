/** Someone calling through the JWT authorizer. */
export interface Caller {
  sub: string;
  groups: string[];
  email?: string;
}

/**
 * The caller's token as API Gateway delivers it: the JWT itself in the Authorization header (its
 * payload holds the real groups array; unsigned, as the authorizer is not in the loop here), and the
 * authorizer's context with every claim flattened into a string, arrays as "[a b]".
 */
export function bearerToken(
  caller: Caller,
  overrides: Record<string, unknown> = {},
): { jwt: string; flattenedClaims: Record<string, string> } {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: 'https://auth.irsa-broker.local',
    aud: 'irsa-broker',
    sub: caller.sub,
    iat: now,
    exp: now + 3600,
    groups: caller.groups,
    ...(caller.email ? { email: caller.email } : {}),
    ...overrides,
  };
  const encode = (part: unknown) => Buffer.from(JSON.stringify(part)).toString('base64url');
  const flattenedClaims = Object.fromEntries(
    Object.entries(payload).map(([name, value]) => [name, Array.isArray(value) ? `[${value.join(' ')}]` : String(value)]),
  );
  return { jwt: `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`, flattenedClaims };
}
