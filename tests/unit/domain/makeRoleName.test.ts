import { makeRoleName, ROLE_NAME_LIMIT, type RoleNameParts } from '../../../src/domain/makeRoleName';

const IAM_ROLE_NAME = /^[\w+=,.@-]+$/;

function parts(overrides: Partial<RoleNameParts> = {}): RoleNameParts {
  return { prefix: 'irsa-', cluster: 'dev', namespace: 'payments', serviceAccount: 'invoice-exporter', ...overrides };
}

/** A ServiceAccount name that makes the readable form exactly `length` characters long. */
function serviceAccountForLength(length: number): string {
  const fixed = 'irsa-dev.payments.'.length;
  return 's'.repeat(length - fixed);
}

describe('makeRoleName', () => {
  it('keeps a short name readable as <prefix><cluster>.<namespace>.<serviceAccount>', () => {
    // Arrange
    const workload = parts();

    // Act
    const name = makeRoleName(workload);

    // Assert
    expect(name).toBe('irsa-dev.payments.invoice-exporter');
  });

  it('keeps a readable form of 63 characters as it is', () => {
    // Arrange
    const workload = parts({ serviceAccount: serviceAccountForLength(63) });

    // Act
    const name = makeRoleName(workload);

    // Assert
    expect(name).toBe(`irsa-dev.payments.${workload.serviceAccount}`);
    expect(name).toHaveLength(63);
  });

  it('cuts a readable form of 64 characters, so a cut name never equals a readable one', () => {
    // Arrange
    const workload = parts({ serviceAccount: serviceAccountForLength(64) });

    // Act
    const name = makeRoleName(workload);

    // Assert
    expect(name).toHaveLength(ROLE_NAME_LIMIT);
    expect(name).toMatch(/-[0-9a-f]{10}$/);
  });

  it('cuts a long name to exactly 64 characters: 53 readable ones, "-" and a 10-character hash', () => {
    // Arrange
    const workload = parts({ namespace: 'n'.repeat(63), serviceAccount: 's'.repeat(253) });
    const readable = `irsa-dev.${workload.namespace}.${workload.serviceAccount}`;

    // Act
    const name = makeRoleName(workload);

    // Assert
    expect(name).toHaveLength(64);
    expect(name.slice(0, 53)).toBe(readable.slice(0, 53));
    expect(name).toMatch(/^.{53}-[0-9a-f]{10}$/);
  });

  it('is stable: the same workload always gets the same name', () => {
    // Arrange
    const workload = parts({ namespace: 'n'.repeat(63), serviceAccount: 'a.b.c' });

    // Act
    const names = [
      makeRoleName(workload),
      makeRoleName({ ...workload }),
      makeRoleName(parts({ namespace: 'n'.repeat(63), serviceAccount: 'a.b.c' })),
    ];

    // Assert
    expect(new Set(names).size).toBe(1);
  });

  it.each([
    ['a short name', parts()],
    ['a cut name', parts({ cluster: 'Prod_EU-1'.repeat(10), serviceAccount: 'x.y-z'.repeat(40) })],
    ['a name with every prefix character', parts({ prefix: 'a+b=c,d.e@f-g_', cluster: 'C_1' })],
  ])('uses only IAM role-name characters for %s', (_label, workload) => {
    // Arrange (the workload above)

    // Act
    const name = makeRoleName(workload);

    // Assert
    expect(name).toMatch(IAM_ROLE_NAME);
    expect(name.length).toBeLessThanOrEqual(ROLE_NAME_LIMIT);
  });

  it('tells apart workloads that differ only after the cut point', () => {
    // Arrange
    const shared = 'worker'.repeat(30);
    const first = parts({ serviceAccount: `${shared}-a` });
    const second = parts({ serviceAccount: `${shared}-b` });

    // Act
    const [firstName, secondName] = [makeRoleName(first), makeRoleName(second)];

    // Assert
    expect(firstName.slice(0, 53)).toBe(secondName.slice(0, 53));
    expect(firstName).not.toBe(secondName);
  });

  it('tells apart workloads whose readable forms would only differ in where the dots fall', () => {
    // Arrange
    const first = parts({ namespace: 'a'.repeat(40), serviceAccount: `b.${'c'.repeat(40)}` });
    const second = parts({ namespace: 'a'.repeat(40), serviceAccount: `b${'c'.repeat(40)}` });

    // Act
    const [firstName, secondName] = [makeRoleName(first), makeRoleName(second)];

    // Assert
    expect(firstName).not.toBe(secondName);
  });

  it.each([
    ['cluster', parts({ cluster: 'prod' })],
    ['namespace', parts({ namespace: 'billing' })],
    ['serviceAccount', parts({ serviceAccount: 'invoice-importer' })],
    ['prefix', parts({ prefix: 'team-' })],
  ])('gives another name when only the %s changes', (_part, other) => {
    // Arrange
    const base = parts();

    // Act
    const [baseName, otherName] = [makeRoleName(base), makeRoleName(other)];

    // Assert
    expect(otherName.toLowerCase()).not.toBe(baseName.toLowerCase());
  });

  it('hashes the exact parts, so long names that differ only in the prefix differ', () => {
    // Arrange
    const long = { cluster: 'c'.repeat(100), namespace: 'n'.repeat(63), serviceAccount: 's'.repeat(253) };

    // Act
    const [first, second] = [makeRoleName({ prefix: 'irsa-', ...long }), makeRoleName({ prefix: 'irsb-', ...long })];

    // Assert
    expect(first.slice(-10)).not.toBe(second.slice(-10));
  });
});
