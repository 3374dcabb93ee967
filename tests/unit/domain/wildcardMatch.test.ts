import fc from 'fast-check';
import { matchesWildcard } from '../../../src/domain/wildcardMatch';

/** The obvious (exponential) reference: a regular expression built from the pattern. */
const viaRegExp = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

describe('matchesWildcard', () => {
  it.each([
    ['job-runner-*', 'job-runner-1', true],
    ['job-runner-*', 'job-runner-', true],
    ['job-?', 'job-1', true],
    ['job-?', 'job-12', false],
    ['a*b*c', 'axxbyyc', true],
    ['a*b*c', 'axxbyy', false],
    ['*', '', true],
    ['', '', true],
    ['abc', 'abd', false],
  ])('matches %s against %s as %s', (pattern, value, expected) => {
    expect(matchesWildcard(pattern, value)).toBe(expected);
  });

  it('agrees with a regular expression on short inputs', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[ab*?]{0,8}$/), fc.stringMatching(/^[ab]{0,10}$/), (pattern, value) => {
        expect(matchesWildcard(pattern, value)).toBe(viaRegExp(pattern, value));
      }),
      { numRuns: 2000 },
    );
  });

  it('answers the patterns that make a regular expression backtrack for minutes', () => {
    // A backtracking implementation would not finish within jest's timeout here.
    expect(matchesWildcard(`abc${'*d'.repeat(60)}x`, `abc${'d'.repeat(250)}`)).toBe(false);
    expect(matchesWildcard(`abc${'*'.repeat(100)}x`, 'abc'.padEnd(253, 'y'))).toBe(false);
  });
});
