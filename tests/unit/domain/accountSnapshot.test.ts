import { findOrphanRoles, makeAccountSnapshot, type RoleDetail } from '../../../src/domain/accountSnapshot';
import { driftFingerprint, findDriftIn } from '../../../src/domain/drift';

const TRUST: RoleDetail['trustPolicy'] = { Version: '2012-10-17', Statement: [] };
const role = (name: string, path: string, tags: RoleDetail['tags'] = []): RoleDetail => ({
  name,
  path,
  arn: `arn:aws:iam::111122223333:role${path}${name}`,
  trustPolicy: TRUST,
  tags,
  attachedPolicyArns: [],
});
const MANAGED = { Key: 'irsa-broker:managed-by', Value: 'irsa-broker' };

describe('makeAccountSnapshot', () => {
  it("keeps only what lies under the broker's path: the API has no path filter", () => {
    // Act
    const snapshot = makeAccountSnapshot(
      '111122223333',
      {
        roles: [role('irsa-a', '/irsa-broker/'), role('admin', '/'), role('deep', '/irsa-broker/team/')],
        policies: [
          { arn: 'arn:aws:iam::111122223333:policy/irsa-broker/p', path: '/irsa-broker/', defaultVersionId: 'v1', defaultDocument: TRUST },
          { arn: 'arn:aws:iam::111122223333:policy/boundary', path: '/', defaultVersionId: 'v1', defaultDocument: TRUST },
        ],
      },
      '/irsa-broker/',
    );

    // Assert
    expect([...snapshot.roles.keys()]).toEqual(['irsa-a', 'deep']);
    expect([...snapshot.policies.keys()]).toEqual(['arn:aws:iam::111122223333:policy/irsa-broker/p']);
  });
});

describe('findOrphanRoles', () => {
  it('lists broker-tagged roles no record names, with the workload their tags name', () => {
    // Arrange
    const snapshot = makeAccountSnapshot(
      '111122223333',
      {
        roles: [
          role('known', '/irsa-broker/', [MANAGED]),
          role('left-behind', '/irsa-broker/', [MANAGED, { Key: 'irsa-broker:cluster', Value: 'dev' }]),
          role('hand-made', '/irsa-broker/'),
        ],
        policies: [],
      },
      '/irsa-broker/',
    );

    // Act
    const orphans = findOrphanRoles(snapshot, new Set(['known']));

    // Assert
    expect(orphans).toEqual([
      { name: 'left-behind', arn: 'arn:aws:iam::111122223333:role/irsa-broker/left-behind', taggedWorkload: 'dev/?/?' },
    ]);
  });
});

describe('findDriftIn', () => {
  const plan = {
    role: { name: 'irsa-a', arn: 'arn:aws:iam::111122223333:role/irsa-broker/irsa-a', trustPolicy: TRUST, permissionsBoundaryArn: 'b' },
    permissionPolicy: null,
    managedPolicyArns: ['arn:aws:iam::aws:policy/Mine'],
  } as unknown as Parameters<typeof findDriftIn>[0];

  it("does not count another grant's policy on the workload's role as extra", () => {
    // Arrange
    const live = {
      ...role('irsa-a', '/irsa-broker/'),
      permissionsBoundaryArn: 'b',
      attachedPolicyArns: ['arn:aws:iam::aws:policy/Mine', 'other', 'stray'],
    };
    const snapshot = makeAccountSnapshot('111122223333', { roles: [live], policies: [] }, '/irsa-broker/');

    // Act
    const drift = findDriftIn(plan, snapshot, ['other']);

    // Assert
    expect(drift).toEqual([{ what: 'attachment-extra', detail: 'stray' }]);
  });

  it('names a set of drift the same whatever its order, and no drift as none', () => {
    const a = { what: 'trust-policy', detail: 'x' } as const;
    const b = { what: 'attachment-extra', detail: 'y' } as const;
    expect(driftFingerprint([a, b])).toBe(driftFingerprint([b, a]));
    expect(driftFingerprint([])).toBeUndefined();
  });
});
