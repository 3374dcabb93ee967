import { BrokerConfigSchema } from '../../../src/domain/brokerConfig';
import { clusterConnectionOf, inClusterAccount } from '../../../src/usecases/accountScope';
import { makeFakeProvisioningDeps } from '../../support/fakes';

const HUB = '111122223333';
const SPOKE = '444455556666';
const config = BrokerConfigSchema.parse({
  hubAccountId: HUB,
  permissionsBoundaryArn: `arn:aws:iam::${HUB}:policy/irsa-broker-boundary`,
  clusters: [
    { name: 'dev', region: 'eu-west-1', accountId: HUB, oidcIssuer: 'https://oidc.example.com/id/DEV' },
    {
      name: 'prod',
      region: 'eu-west-1',
      accountId: SPOKE,
      oidcIssuer: 'https://oidc.example.com/id/PROD',
      permissionsBoundaryArn: `arn:aws:iam::${SPOKE}:policy/irsa-broker-boundary`,
    },
  ],
});

describe('inClusterAccount', () => {
  it("gives the grant's steps the IAM of the cluster's account, named after the grant", async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(config);

    // Act
    const hub = await inClusterAccount(deps, 'dev', 'req-0001');
    const spoke = await inClusterAccount(deps, 'prod', 'req-0002');

    // Assert
    expect(hub.deps.iam).toBe(deps.iam);
    expect(spoke.deps.iam).toBe(deps.accounts.iamOf(SPOKE));
    expect(spoke.deps.iam).not.toBe(deps.iam);
    expect(spoke.session.roleArn).toBe(`arn:aws:iam::${SPOKE}:role/irsa-broker/irsa-broker-provisioner`);
    expect(deps.accounts.requested).toEqual([
      { accountId: HUB, sessionId: 'req-0001' },
      { accountId: SPOKE, sessionId: 'req-0002' },
    ]);
  });

  it('fails before any IAM call when the spoke role cannot be assumed', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(config);
    deps.accounts.unassumable.add(SPOKE);

    // Act
    const error = await inClusterAccount(deps, 'prod', 'req-0003').catch((caught: unknown) => caught);

    // Assert
    expect(error).toMatchObject({ code: 'PROVISIONER_ROLE_UNASSUMABLE', details: { accountId: SPOKE } });
    expect(deps.accounts.iamOf(SPOKE).calls).toEqual([]);
    expect(deps.iam.calls).toEqual([]);
  });

  it('refuses a cluster that is no longer configured', async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(config);

    // Act
    const error = await inClusterAccount(deps, 'gone', 'req-0004').catch((caught: unknown) => caught);

    // Assert
    expect(error).toMatchObject({ code: 'CLUSTER_NOT_CONFIGURED' });
  });
});

describe('clusterConnectionOf', () => {
  it("carries the session's account and credentials, so the EKS token is signed in the cluster's account", async () => {
    // Arrange
    const deps = makeFakeProvisioningDeps(config);
    const scope = await inClusterAccount(deps, 'prod', 'req-0005');

    // Act
    const connection = await clusterConnectionOf(scope);

    // Assert
    expect(connection).toMatchObject({ name: 'prod', accountId: SPOKE, endpoint: 'https://prod.eks.example.com' });
    expect(await connection.credentials!()).toMatchObject({ accessKeyId: `AKIAFAKE${SPOKE}` });
  });
});
