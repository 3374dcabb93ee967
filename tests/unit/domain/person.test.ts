import { iamPrincipalKey, PeopleSchema, resolvePerson, type JoinConfig } from '../../../src/domain/person';

const join = (people: unknown = {}, joinByEmail = true): JoinConfig => ({ people: PeopleSchema.parse(people), joinByEmail });

describe('resolvePerson', () => {
  const people = {
    alice: {
      subjects: ['00u1alice'],
      emails: ['alice@example.com'],
      slackUsers: ['U0ALICE'],
      iamPrincipals: ['arn:aws:iam::111122223333:role/alice-sso'],
    },
  };

  it.each([
    ['her JWT subject', { subject: '00u1alice' }],
    ['her email, in any case', { subject: 'someone', email: 'ALICE@example.com' }],
    ['her Slack user', { subject: 'whatever', slackUser: 'U0ALICE' }],
    ['any session of her IAM role', { iamArn: 'arn:aws:sts::111122223333:assumed-role/alice-sso/laptop' }],
  ])('joins %s to the person the people map names', (_door, clues) => {
    // Arrange / Act
    const person = resolvePerson(clues, join(people));

    // Assert
    expect(person).toBe('alice');
  });

  it('joins an email the map does not list as that email', () => {
    // Arrange / Act
    const person = resolvePerson({ subject: 'bob', email: 'Bob@Example.com' }, join(people));

    // Assert
    expect(person).toBe('email:bob@example.com');
  });

  it('joins nobody without a listed identity or an email, or by email when config says not to', () => {
    // Arrange / Act
    const persons = [
      resolvePerson({ subject: 'bob' }, join(people)),
      resolvePerson({ subject: 'bob', email: 'bob@example.com' }, join(people, false)),
      resolvePerson({ iamArn: 'arn:aws:sts::111122223333:assumed-role/ci/run-1' }, join(people)),
    ];

    // Assert
    expect(persons).toEqual([undefined, undefined, undefined]);
  });

  it('never joins an IAM principal by a subject that happens to equal a listed one', () => {
    // Arrange / Act
    const person = resolvePerson({ iamArn: 'arn:aws:iam::111122223333:user/00u1alice' }, join({ alice: { subjects: ['00u1alice'] } }));

    // Assert
    expect(person).toBeUndefined();
  });
});

describe('PeopleSchema', () => {
  it('refuses one identity joined to two people, which would let each approve for the other', () => {
    // Arrange / Act
    const result = PeopleSchema.safeParse({ alice: { slackUsers: ['U0X'] }, bob: { slackUsers: ['U0X'] } });

    // Assert
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('slack:U0X is already joined to alice');
  });
});

describe('iamPrincipalKey', () => {
  it('gives every session of a role, and the role itself, one key whatever its path', () => {
    // Arrange / Act
    const keys = [
      iamPrincipalKey('arn:aws:sts::111122223333:assumed-role/deployer/one'),
      iamPrincipalKey('arn:aws:sts::111122223333:assumed-role/deployer/two'),
      iamPrincipalKey('arn:aws:iam::111122223333:role/teams/deployer'),
    ];

    // Assert
    expect(new Set(keys)).toEqual(new Set(['111122223333:role:deployer']));
  });
});
