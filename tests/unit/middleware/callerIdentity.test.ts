import type { Request } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { IdentityConfigSchema, type IdentityConfig } from '../../../src/domain/brokerConfig';
import { UnauthenticatedError } from '../../../src/domain/errors';
import { callerIdentity, identifyCaller, parseGroupsClaim, type IdentifiedEvent } from '../../../src/middleware/callerIdentity';
import { errorOf } from '../../support/errorOf';

const ACCOUNT = '123456789012';

function identityConfig(overrides: Partial<IdentityConfig> = {}): IdentityConfig {
  return IdentityConfigSchema.parse(overrides);
}

/** An HTTP API event whose authorizer context holds `authorizer`. */
function eventWith(authorizer?: Record<string, unknown>): APIGatewayProxyEventV2 {
  return { requestContext: { ...(authorizer ? { authorizer } : {}) } } as unknown as APIGatewayProxyEventV2;
}

const jwtEvent = (claims: Record<string, unknown>) => eventWith({ jwt: { claims, scopes: [] } });
const iamEvent = (userArn: string) => eventWith({ iam: { userArn, accountId: ACCOUNT } });

describe('identifyCaller', () => {
  describe('with a JWT', () => {
    it('takes the subject, email and groups from the claims', () => {
      // Arrange
      const event = jwtEvent({ sub: 'alice', email: 'alice@example.com', groups: ['team-payments', 'developers'] });

      // Act
      const caller = identifyCaller(event, identityConfig());

      // Assert
      expect(caller).toEqual({ subject: 'alice', email: 'alice@example.com', groups: ['team-payments', 'developers'], source: 'jwt' });
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

    it.each([
      ['a real array', ['team-payments', 'developers']],
      ['HTTP API\'s "[a b]" string', '[team-payments developers]'],
      ['a comma-separated string', 'team-payments,developers'],
      ['a comma-and-space-separated string', 'team-payments, developers'],
    ])('accepts the groups claim as %s', (_form, groups) => {
      // Arrange
      const event = jwtEvent({ sub: 'alice', groups });

      // Act
      const caller = identifyCaller(event, identityConfig());

      // Assert
      expect(caller.groups).toEqual(['team-payments', 'developers']);
    });

    it('gives no groups when the claim is missing or empty', () => {
      // Arrange
      const events = [jwtEvent({ sub: 'alice' }), jwtEvent({ sub: 'alice', groups: '[]' }), jwtEvent({ sub: 'alice', groups: '' })];

      // Act
      const groups = events.map((event) => identifyCaller(event, identityConfig()).groups);

      // Assert
      expect(groups).toEqual([[], [], []]);
    });

    it('leaves out an email claim that is missing or empty', () => {
      // Arrange
      const event = jwtEvent({ sub: 'alice', email: '' });

      // Act
      const caller = identifyCaller(event, identityConfig());

      // Assert
      expect(caller).not.toHaveProperty('email');
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

    it('gives an IAM user the groups configured for that user', () => {
      // Arrange
      const config = identityConfig({ iamPrincipals: [{ arn: `arn:aws:iam::${ACCOUNT}:user/ci/deployer`, groups: ['ci'] }] });

      // Act
      const caller = identifyCaller(iamEvent(`arn:aws:iam::${ACCOUNT}:user/ci/deployer`), config);

      // Assert
      expect(caller.groups).toEqual(['ci']);
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

  it('prefers the JWT when both authorizers answered', () => {
    // Arrange
    const event = eventWith({ jwt: { claims: { sub: 'alice' } }, iam: { userArn: `arn:aws:iam::${ACCOUNT}:user/bob` } });

    // Act
    const caller = identifyCaller(event, identityConfig());

    // Assert
    expect(caller).toMatchObject({ subject: 'alice', source: 'jwt' });
  });

  it.each([
    ['no authorizer', eventWith()],
    ['claims without a subject', jwtEvent({ email: 'alice@example.com' })],
    ['an empty subject', jwtEvent({ sub: '' })],
    ['an IAM context without a user ARN', eventWith({ iam: { accountId: ACCOUNT } })],
  ])('refuses %s with UnauthenticatedError', (_what, event) => {
    // Arrange / Act
    const error = errorOf(() => identifyCaller(event, identityConfig()));

    // Assert
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', kind: 'unauthenticated' });
  });
});

describe('parseGroupsClaim', () => {
  it.each([
    [42, []],
    [null, []],
    [
      ['a', '', 'b'],
      ['a', 'b'],
    ],
    ['  [a  b]  ', ['a', 'b']],
  ])('reads %j as %j', (claim, groups) => {
    // Arrange / Act
    const parsed = parseGroupsClaim(claim);

    // Assert
    expect(parsed).toEqual(groups);
  });
});

describe('callerIdentity', () => {
  it('puts the identified caller on event.caller before the handler runs', () => {
    // Arrange
    const middleware = callerIdentity(() => identityConfig());
    const request = { event: jwtEvent({ sub: 'alice', groups: 'team-payments' }) } as unknown as Request<IdentifiedEvent>;

    // Act
    middleware.before?.(request);

    // Assert
    expect(request.event.caller).toEqual({ subject: 'alice', groups: ['team-payments'], source: 'jwt' });
  });
});
