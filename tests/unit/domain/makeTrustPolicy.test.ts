import { makeTrustPolicy, serviceAccountSubject, type TrustSubject } from '../../../src/domain/makeTrustPolicy';

const ISSUER_HOST_PATH = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

function subject(overrides: Partial<TrustSubject> = {}): TrustSubject {
  return {
    partition: 'aws',
    accountId: '111122223333',
    issuerUrl: `https://${ISSUER_HOST_PATH}`,
    namespace: 'payments',
    serviceAccount: 'invoice-exporter',
    ...overrides,
  };
}

describe('makeTrustPolicy', () => {
  it('trusts only the cluster OIDC provider, by its ARN', () => {
    // Arrange
    const trustSubject = subject();

    // Act
    const [statement] = makeTrustPolicy(trustSubject).Statement;

    // Assert
    expect(statement?.Effect).toBe('Allow');
    expect(statement?.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(statement?.Principal).toEqual({ Federated: `arn:aws:iam::111122223333:oidc-provider/${ISSUER_HOST_PATH}` });
  });

  it.each(['aws-cn', 'aws-us-gov'] as const)('names the OIDC provider in the %s partition', (partition) => {
    // Arrange
    const trustSubject = subject({ partition, accountId: '222233334444' });

    // Act
    const [statement] = makeTrustPolicy(trustSubject).Statement;

    // Assert
    expect(statement?.Principal?.Federated).toBe(`arn:${partition}:iam::222233334444:oidc-provider/${ISSUER_HOST_PATH}`);
  });

  it('writes the issuer without https:// (and without a trailing slash) in the ARN and the condition keys', () => {
    // Arrange
    const trustSubject = subject({ issuerUrl: `https://${ISSUER_HOST_PATH}/` });

    // Act
    const text = JSON.stringify(makeTrustPolicy(trustSubject));

    // Assert
    expect(text).not.toContain('https://');
    expect(text).toContain(`oidc-provider/${ISSUER_HOST_PATH}"`);
    expect(text).toContain(`"${ISSUER_HOST_PATH}:sub"`);
    expect(text).toContain(`"${ISSUER_HOST_PATH}:aud"`);
  });

  it('pins sub and aud=sts.amazonaws.com under StringEquals for an exact ServiceAccount', () => {
    // Arrange
    const trustSubject = subject();

    // Act
    const [statement] = makeTrustPolicy(trustSubject).Statement;

    // Assert
    expect(statement?.Condition).toEqual({
      StringEquals: {
        [`${ISSUER_HOST_PATH}:aud`]: 'sts.amazonaws.com',
        [`${ISSUER_HOST_PATH}:sub`]: 'system:serviceaccount:payments:invoice-exporter',
      },
    });
  });

  it('uses StringLike only for the sub of a pattern while aud stays StringEquals', () => {
    // Arrange
    const trustSubject = subject({ serviceAccount: 'job-runner-1', serviceAccountPattern: 'job-runner-*' });

    // Act
    const [statement] = makeTrustPolicy(trustSubject).Statement;

    // Assert
    expect(statement?.Condition).toEqual({
      StringEquals: { [`${ISSUER_HOST_PATH}:aud`]: 'sts.amazonaws.com' },
      StringLike: { [`${ISSUER_HOST_PATH}:sub`]: 'system:serviceaccount:payments:job-runner-*' },
    });
  });

  it('holds a single statement in the 2012-10-17 policy language', () => {
    // Arrange
    const trustSubject = subject();

    // Act
    const document = makeTrustPolicy(trustSubject);

    // Assert
    expect(document.Version).toBe('2012-10-17');
    expect(document.Statement).toHaveLength(1);
  });
});

describe('serviceAccountSubject', () => {
  it('is the sub claim Kubernetes writes into ServiceAccount tokens', () => {
    // Arrange
    const [namespace, serviceAccount] = ['batch', 'job-runner'];

    // Act
    const sub = serviceAccountSubject(namespace, serviceAccount);

    // Assert
    expect(sub).toBe('system:serviceaccount:batch:job-runner');
  });
});
