import type { Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { IdentityConfigSchema, type IdentityConfigInput } from '../../../src/domain/brokerConfig';
import { UnauthenticatedError } from '../../../src/domain/errors';
import {
  callerIdentity,
  identifyCaller,
  localTokenCheckFromEnv,
  type IdentifiedEvent,
  type LocalTokenCheck,
} from '../../../src/middleware/callerIdentity';
import { errorOf } from '../../support/errorOf';

const ACCOUNT = '123456789012';
const ISSUER = 'https://auth.irsa-broker.local';
const NOW = new Date('2030-01-01T09:00:00.000Z');
const inAnHour = NOW.getTime() / 1000 + 3600;

function identityConfig(overrides: IdentityConfigInput = {}) {
  return IdentityConfigSchema.parse(overrides);
}

const encode = (part: unknown) => Buffer.from(JSON.stringify(part)).toString('base64url');
const tokenOf = (payload: Record<string, unknown>) => `${encode({ alg: 'RS256' })}.${encode(payload)}.c2lnbmF0dXJl`;

/** API Gateway's view of a claim: every value a string, arrays as "[a b]". */
const flatten = (payload: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(payload).map(([name, value]) => [name, Array.isArray(value) ? `[${value.join(' ')}]` : String(value)]));

/** An HTTP API event as the JWT authorizer hands it over: the token in the header, its claims flattened. */
function jwtEvent(payload: Record<string, unknown>): APIGatewayProxyEventV2 {
  const claims = { iss: ISSUER, aud: 'irsa-broker', exp: inAnHour, ...payload };
  return {
    headers: { authorization: `Bearer ${tokenOf(claims)}` },
    requestContext: { authorizer: { jwt: { claims: flatten(claims), scopes: [] } } },
  } as unknown as APIGatewayProxyEventV2;
}

const iamEvent = (userArn: string) =>
  ({ headers: {}, requestContext: { authorizer: { iam: { userArn, accountId: ACCOUNT } } } }) as unknown as APIGatewayProxyEventV2;

/** A local (serverless-offline) event: no authorizer ran, only the header is there. */
const localEvent = (payload: Record<string, unknown>) =>
  ({ headers: { Authorization: `Bearer ${tokenOf(payload)}` }, requestContext: {} }) as unknown as APIGatewayProxyEventV2;
const local: LocalTokenCheck = { issuer: ISSUER, audience: 'irsa-broker', now: () => NOW };

describe('identifyCaller', () => {
  describe('with a JWT verified by API Gateway', () => {
    it("takes subject, email and groups from the verified token's own payload", () => {
      // Arrange
      const event = jwtEvent({ sub: 'alice', email: 'alice@example.com', groups: ['team-payments', 'developers'] });

      // Act
      const caller = identifyCaller(event, identityConfig());

      // Assert
      expect(caller).toEqual({
        subject: 'alice',
        email: 'alice@example.com',
        groups: ['team-payments', 'developers'],
        source: 'jwt',
        person: 'email:alice@example.com',
      });
    });

    it('keeps a group whose name holds a space as one group, never two', () => {
      // Arrange: the attack: API Gateway flattens this claim to "[Contractors payments-leads]".
      const event = jwtEvent({ sub: 'mallory', groups: ['Contractors payments-leads'] });

      // Act
      const caller = identifyCaller(event, identityConfig());

      // Assert
      expect(caller.groups).toEqual(['Contractors payments-leads']);
    });

    it.each([
      ['a flattened "[a b]" string', '[team-payments payments-leads]'],
      ['a comma-separated string', 'team-payments,payments-leads'],
      ['an array holding a non-string', ['team-payments', 7]],
      ['an object', { group: 'payments-leads' }],
    ])('refuses a groups claim that is %s with 401 GROUPS_CLAIM_INVALID', (_form, groups) => {
      // Arrange
      const event = jwtEvent({ sub: 'mallory', groups });

      // Act
      const error = errorOf(() => identifyCaller(event, identityConfig()));

      // Assert
      expect(error).toBeInstanceOf(UnauthenticatedError);
      expect(error).toMatchObject({ code: 'GROUPS_CLAIM_INVALID', kind: 'unauthenticated' });
    });

    it('gives no groups when the claim is missing', () => {
      // Arrange / Act
      const caller = identifyCaller(jwtEvent({ sub: 'alice' }), identityConfig());

      // Assert
      expect(caller.groups).toEqual([]);
    });

    it('reads email and groups from the claims config names', () => {
      // Arrange
      const event = jwtEvent({
        sub: 'alice',
        email: 'ignored@example.com',
        upn: 'alice@corp.example.com',
        'cognito:groups': ['team-payments'],
        groups: ['ignored'],
      });

      // Act
      const caller = identifyCaller(event, identityConfig({ emailClaim: 'upn', groupsClaim: 'cognito:groups' }));

      // Assert
      expect(caller).toMatchObject({ email: 'alice@corp.example.com', groups: ['team-payments'] });
    });

    it('leaves out an empty email claim, and with it the join by email', () => {
      // Arrange / Act
      const caller = identifyCaller(jwtEvent({ sub: 'alice', email: '' }), identityConfig());

      // Assert
      expect(caller).not.toHaveProperty('email');
      expect(caller).not.toHaveProperty('person');
    });

    it('joins the subject to the person the people map names', () => {
      // Arrange
      const config = identityConfig({ people: { alice: { subjects: ['00u1alice'] } } });

      // Act
      const caller = identifyCaller(jwtEvent({ sub: '00u1alice' }), config);

      // Assert
      expect(caller.person).toBe('alice');
    });

    it('refuses a header holding another token than the one the authorizer verified', () => {
      // Arrange: a verified token for mallory, and beside it a forged payload claiming to be an admin.
      const event = jwtEvent({ sub: 'mallory' });
      event.headers.authorization = `Bearer ${tokenOf({ iss: ISSUER, sub: 'dave', groups: ['platform-admins'] })}`;

      // Act
      const error = errorOf(() => identifyCaller(event, identityConfig()));

      // Assert
      expect(error).toMatchObject({ code: 'TOKEN_MISMATCH', kind: 'unauthenticated' });
    });

    it.each([
      ['no Authorization header', undefined, 'UNAUTHENTICATED'],
      ['a header that is not a bearer JWT', 'Basic YWxpY2U6c2VjcmV0', 'TOKEN_MALFORMED'],
      ['a payload that is not JSON', 'Bearer eyJhbGciOiJub25lIn0.bm90IGpzb24.', 'TOKEN_MALFORMED'],
    ])('refuses %s with 401 %s', (_what, header, code) => {
      // Arrange
      const event = jwtEvent({ sub: 'alice' });
      event.headers = header === undefined ? {} : { authorization: header };

      // Act
      const error = errorOf(() => identifyCaller(event, identityConfig()));

      // Assert
      expect(error).toMatchObject({ code, kind: 'unauthenticated' });
    });
  });

  describe('with IAM (SigV4)', () => {
    const ROLE = `arn:aws:iam::${ACCOUNT}:role/path/Role`;

    it("gives an assumed-role session the groups of the role it assumed, whatever the role's path", () => {
      // Arrange
      const config = identityConfig({ iamPrincipals: [{ arn: ROLE, groups: ['platform-admins'] }] });

      // Act
      const caller = identifyCaller(iamEvent(`arn:aws:sts::${ACCOUNT}:assumed-role/Role/session`), config);

      // Assert
      expect(caller).toEqual({ subject: `arn:aws:sts::${ACCOUNT}:assumed-role/Role/session`, groups: ['platform-admins'], source: 'iam' });
    });

    it('joins every session of a role the people map lists to that person', () => {
      // Arrange
      const config = identityConfig({ people: { alice: { iamPrincipals: [ROLE] } } });

      // Act
      const sessions = ['one', 'two'].map((session) =>
        identifyCaller(iamEvent(`arn:aws:sts::${ACCOUNT}:assumed-role/Role/${session}`), config),
      );

      // Assert
      expect(sessions.map((caller) => caller.person)).toEqual(['alice', 'alice']);
    });

    it('merges the groups of every matching entry, without duplicates', () => {
      // Arrange
      const config = identityConfig({
        iamPrincipals: [
          { arn: ROLE, groups: ['platform-admins', 'approvers'] },
          { arn: `arn:aws:iam::${ACCOUNT}:role/Role`, groups: ['approvers', 'developers'] },
        ],
      });

      // Act
      const caller = identifyCaller(iamEvent(`arn:aws:sts::${ACCOUNT}:assumed-role/Role/session`), config);

      // Assert
      expect(caller.groups).toEqual(['platform-admins', 'approvers', 'developers']);
    });

    it.each([
      ['another role', `arn:aws:sts::${ACCOUNT}:assumed-role/OtherRole/session`],
      ['the same role name in another account', 'arn:aws:sts::210987654321:assumed-role/Role/session'],
      ['a user named like the role', `arn:aws:iam::${ACCOUNT}:user/Role`],
      ['a principal the broker cannot read', `arn:aws:sts::${ACCOUNT}:federated-user/Role`],
    ])('gives %s no groups', (_who, userArn) => {
      // Arrange
      const config = identityConfig({ iamPrincipals: [{ arn: ROLE, groups: ['platform-admins'] }] });

      // Act
      const caller = identifyCaller(iamEvent(userArn), config);

      // Assert
      expect(caller).toEqual({ subject: userArn, groups: [], source: 'iam' });
    });
  });

  describe('locally, where no authorizer runs', () => {
    const payload = { iss: ISSUER, aud: 'irsa-broker', sub: 'alice', exp: inAnHour, groups: ['team-payments'] };

    it('reads an unsigned token whose issuer, audience and expiry check out', () => {
      // Arrange / Act
      const caller = identifyCaller(localEvent(payload), identityConfig(), local);

      // Assert
      expect(caller).toMatchObject({ subject: 'alice', groups: ['team-payments'], source: 'jwt' });
    });

    it.each([
      ['without exp', { exp: undefined }, 'TOKEN_EXPIRY_MISSING'],
      ['with exp as a string', { exp: String(inAnHour) }, 'TOKEN_EXPIRY_MISSING'],
      ['that has expired', { exp: NOW.getTime() / 1000 - 1 }, 'TOKEN_EXPIRED'],
      ['from another issuer', { iss: 'https://evil.example.com' }, 'TOKEN_ISSUER_INVALID'],
      ['for another audience', { aud: ['someone-else'] }, 'TOKEN_AUDIENCE_INVALID'],
      ['without a subject', { sub: undefined }, 'TOKEN_SUBJECT_MISSING'],
    ])('refuses a token %s with 401 %s', (_what, change, code) => {
      // Arrange
      const event = localEvent({ ...payload, ...change });

      // Act
      const error = errorOf(() => identifyCaller(event, identityConfig(), local));

      // Assert
      expect(error).toMatchObject({ code, kind: 'unauthenticated' });
    });

    it('ignores an authorizer context, which a local request header can fake, and reads only the token', () => {
      // Arrange: serverless-offline takes sls-offline-authorizer-override as the authorizer context.
      const event = localEvent({ ...payload, sub: 'mallory', groups: [] });
      (event.requestContext as unknown as Record<string, unknown>).authorizer = {
        iam: { userArn: `arn:aws:iam::${ACCOUNT}:role/developer-portal` },
      };

      // Act
      const caller = identifyCaller(event, identityConfig(), local);

      // Assert
      expect(caller).toMatchObject({ subject: 'mallory', source: 'jwt', groups: [] });
    });

    it('never reads an unverified header when local mode is off (a route without an authorizer)', () => {
      // Arrange / Act
      const error = errorOf(() => identifyCaller(localEvent(payload), identityConfig()));

      // Assert
      expect(error).toMatchObject({ code: 'UNAUTHENTICATED' });
    });

    it('is on only under serverless-offline with an issuer and audience to check', () => {
      // Arrange
      const issuerAndAudience = { IRSA_BROKER_LOCAL_JWT_ISSUER: ISSUER, IRSA_BROKER_LOCAL_JWT_AUDIENCE: 'irsa-broker' };

      // Act
      const checks = [
        localTokenCheckFromEnv({ ...issuerAndAudience, IS_OFFLINE: 'true' }),
        localTokenCheckFromEnv(issuerAndAudience),
        localTokenCheckFromEnv({ IS_OFFLINE: 'true' }),
      ];

      // Assert
      expect(checks.map(Boolean)).toEqual([true, false, false]);
    });
  });

  it('prefers the JWT when both authorizers answered', () => {
    // Arrange
    const event = jwtEvent({ sub: 'alice' });
    (event.requestContext as unknown as { authorizer: Record<string, unknown> }).authorizer.iam = {
      userArn: `arn:aws:iam::${ACCOUNT}:user/bob`,
    };

    // Act
    const caller = identifyCaller(event, identityConfig());

    // Assert
    expect(caller).toMatchObject({ subject: 'alice', source: 'jwt' });
  });

  it.each([
    ['no authorizer', { headers: {}, requestContext: {} }],
    ['an IAM context without a user ARN', { headers: {}, requestContext: { authorizer: { iam: { accountId: ACCOUNT } } } }],
  ])('refuses %s with UnauthenticatedError', (_what, event) => {
    // Arrange / Act
    const error = errorOf(() => identifyCaller(event as unknown as APIGatewayProxyEventV2, identityConfig()));

    // Assert
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', kind: 'unauthenticated' });
  });
});

describe('callerIdentity', () => {
  it('puts the identified caller on event.caller before the handler runs', () => {
    // Arrange
    const middleware = callerIdentity(() => identityConfig(), undefined);
    const request = { event: jwtEvent({ sub: 'alice', groups: ['team-payments'] }) } as unknown as Request<IdentifiedEvent>;

    // Act
    middleware.before?.(request);

    // Assert
    expect(request.event.caller).toMatchObject({ subject: 'alice', groups: ['team-payments'], source: 'jwt' });
  });
});
