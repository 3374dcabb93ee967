import type { CallerIdentity } from '../../../src/domain/identity';
import { canRead, seesPeople } from '../../../src/domain/readAccess';
import { alice, bob, makeAccessRequestRecord, makeRule, mallory } from '../../support/accessRequestRecord';

const policy = { auditorGroups: ['security-audit'] };
const record = makeAccessRequestRecord({ requester: alice });
const ownerColleague: CallerIdentity = { subject: 'olga', groups: ['team-payments'], source: 'jwt' };
const auditor: CallerIdentity = { subject: 'ida', groups: ['security-audit'], source: 'jwt' };

describe('canRead', () => {
  it.each([
    ['the requester', alice],
    ['the requester under another subject with the same email', { ...mallory, subject: 'U0ALICE', email: 'alice@example.com' }],
    ["an owner of the request's rule", ownerColleague],
    ["an approver of the request's rule", bob],
    ['an auditor', auditor],
  ])('lets %s read the request', (_who, caller) => {
    // Arrange / Act
    const allowed = canRead(caller, makeRule(), record, policy);

    // Assert
    expect(allowed).toBe(true);
  });

  it('refuses any other signed-in user', () => {
    // Arrange / Act
    const allowed = canRead(mallory, makeRule(), record, policy);

    // Assert
    expect(allowed).toBe(false);
  });

  it('leaves only the requester and auditors once config no longer has the rule', () => {
    // Arrange / Act
    const readers = [alice, bob, ownerColleague, auditor].map((caller) => canRead(caller, undefined, record, policy));

    // Assert
    expect(readers).toEqual([true, false, false, true]);
  });
});

describe('seesPeople', () => {
  it("shows other people's emails and groups to approvers and auditors only", () => {
    // Arrange / Act
    const seen = [alice, ownerColleague, bob, auditor, mallory].map((caller) => seesPeople(caller, makeRule(), policy));

    // Assert
    expect(seen).toEqual([false, false, true, true, false]);
  });
});
