import { createClusterIssuerSource } from '../../../src/adapters/clusterIssuers';
import type { ClusterConfig } from '../../../src/domain/brokerConfig';
import { DependencyUnavailableError, NotFoundError, ValidationError } from '../../../src/domain/errors';
import type { ClusterIssuerSource } from '../../../src/ports';
import { planGrant, type PlanGrantDeps } from '../../../src/usecases/planGrant';
import { makeRequestInput } from '../../support/accessRequestRecord';
import { makeTestConfig } from '../../support/brokerConfig';
import { FakeBucketInspector, InMemoryAccessRequestStore, InMemoryWorkloadStore } from '../../support/fakes';
import { serviceAccountTemplate } from '../../support/serviceAccountTemplate';

const DESCRIBED_ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/DESCRIBED0000000000000000EXAMPLE';

/** An in-memory EKS: answers DescribeCluster-backed issuer lookups and records every one. */
class FakeEksIssuers implements ClusterIssuerSource {
  readonly calls: string[] = [];

  constructor(private readonly answer: (cluster: ClusterConfig) => Promise<string> = async () => DESCRIBED_ISSUER) {}

  getIssuerUrl(cluster: ClusterConfig): Promise<string> {
    this.calls.push(cluster.name);
    return this.answer(cluster);
  }
}

/** The deps a handler wires: issuers from config first, the (fake) EKS source loaded only on need. */
function depsWith(eks: FakeEksIssuers) {
  const loads: number[] = [];
  const deps: PlanGrantDeps = {
    config: makeTestConfig(),
    store: new InMemoryAccessRequestStore(),
    workloads: new InMemoryWorkloadStore(),
    issuers: createClusterIssuerSource(async () => {
      loads.push(1);
      return eks;
    }),
    buckets: new FakeBucketInspector(),
    serviceAccountTemplate,
  };
  return { deps, loads };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('planGrant', () => {
  it('dry run makes no calls when config names the issuer', async () => {
    // Arrange
    const eks = new FakeEksIssuers();
    const { deps, loads } = depsWith(eks);

    // Act
    const plan = await planGrant(makeRequestInput(), deps);

    // Assert
    expect(eks.calls).toEqual([]);
    expect(loads).toEqual([]);
    expect(plan.cluster.oidcIssuer).toBe('https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE');
  });

  it('asks EKS once for a cluster whose issuer config leaves out', async () => {
    // Arrange
    const eks = new FakeEksIssuers();
    const { deps } = depsWith(eks);

    // Act
    const plan = await planGrant(makeRequestInput({ cluster: 'described' }), deps);

    // Assert
    expect(eks.calls).toEqual(['described']);
    expect(plan.cluster.oidcIssuer).toBe(DESCRIBED_ISSUER);
    expect(plan.cluster.oidcProviderArn).toBe(
      'arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/DESCRIBED0000000000000000EXAMPLE',
    );
  });

  it('returns the whole plan: role, policies, tags and manifest', async () => {
    // Arrange
    const { deps } = depsWith(new FakeEksIssuers());

    // Act
    const plan = await planGrant(makeRequestInput(), deps);

    // Assert
    expect(plan.role.name).toBe('irsa-dev.payments.invoice-exporter');
    expect(plan.role.arn).toBe('arn:aws:iam::111122223333:role/irsa-broker/irsa-dev.payments.invoice-exporter');
    expect(plan.subject).toBe('system:serviceaccount:payments:invoice-exporter');
    expect(plan.permissionPolicy?.document.Statement).toHaveLength(2);
    expect(plan.serviceAccount.yaml).toContain(
      'eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/irsa-broker/irsa-dev.payments.invoice-exporter',
    );
  });

  it('refuses an unknown cluster with CLUSTER_NOT_FOUND, naming the known ones, and asks nobody', async () => {
    // Arrange
    const eks = new FakeEksIssuers();
    const { deps, loads } = depsWith(eks);

    // Act
    const error = await rejectionOf(planGrant(makeRequestInput({ cluster: 'staging' }), deps));

    // Assert
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({
      code: 'CLUSTER_NOT_FOUND',
      details: { cluster: 'staging', known: ['dev', 'described'] },
    });
    expect(eks.calls).toEqual([]);
    expect(loads).toEqual([]);
  });

  it('matches cluster names exactly, so "Dev" is not "dev"', async () => {
    // Arrange
    const { deps } = depsWith(new FakeEksIssuers());

    // Act
    const error = await rejectionOf(planGrant(makeRequestInput({ cluster: 'Dev' }), deps));

    // Assert
    expect(error).toMatchObject({ code: 'CLUSTER_NOT_FOUND' });
  });

  it('refuses an invalid request with REQUEST_INVALID listing every issue, and asks nobody', async () => {
    // Arrange
    const eks = new FakeEksIssuers();
    const { deps } = depsWith(eks);

    // Act
    const error = await rejectionOf(planGrant(makeRequestInput({ cluster: 'described', namespace: 'Payments', grants: [] }), deps));

    // Assert
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      code: 'REQUEST_INVALID',
      details: {
        issues: [
          { path: 'namespace', message: expect.any(String) },
          { path: 'grants', message: expect.any(String) },
        ],
      },
    });
    expect(eks.calls).toEqual([]);
  });

  it('refuses a managed policy that is not on the allow-list', async () => {
    // Arrange
    const { deps } = depsWith(new FakeEksIssuers());

    // Act
    const error = await rejectionOf(
      planGrant(makeRequestInput({ grants: [{ type: 'managed-policy', arn: 'arn:aws:iam::aws:policy/AdministratorAccess' }] }), deps),
    );

    // Assert
    expect(error).toMatchObject({ code: 'MANAGED_POLICY_NOT_ALLOWED' });
  });

  it('refuses an allowed managed policy from another partition', async () => {
    // Arrange
    const { deps } = depsWith(new FakeEksIssuers());

    // Act
    const error = await rejectionOf(
      planGrant(
        makeRequestInput({ grants: [{ type: 'managed-policy', arn: 'arn:aws-cn:iam::aws:policy/AmazonSQSReadOnlyAccess' }] }),
        deps,
      ),
    );

    // Assert
    expect(error).toMatchObject({ code: 'MANAGED_POLICY_WRONG_PARTITION' });
  });

  it('refuses a subject pattern where config does not allow them', async () => {
    // Arrange
    const { deps } = depsWith(new FakeEksIssuers());

    // Act
    const error = await rejectionOf(
      planGrant(makeRequestInput({ serviceAccount: 'job-runner-1', serviceAccountPattern: 'job-runner-*' }), deps),
    );

    // Assert
    expect(error).toMatchObject({ code: 'SUBJECT_PATTERNS_NOT_ALLOWED' });
  });

  it('refuses the reserved pod-identity mechanism', async () => {
    // Arrange
    const { deps } = depsWith(new FakeEksIssuers());

    // Act
    const error = await rejectionOf(planGrant(makeRequestInput({ mechanism: 'pod-identity' }), deps));

    // Assert
    expect(error).toMatchObject({ code: 'MECHANISM_NOT_SUPPORTED' });
  });

  it('passes on an EKS outage as the dependency error it is', async () => {
    // Arrange
    const outage = new DependencyUnavailableError('EKS_UNAVAILABLE', 'EKS did not answer');
    const { deps } = depsWith(new FakeEksIssuers(() => Promise.reject(outage)));

    // Act
    const error = await rejectionOf(planGrant(makeRequestInput({ cluster: 'described' }), deps));

    // Assert
    expect(error).toBe(outage);
  });
});
