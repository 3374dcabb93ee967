import { S3GrantSchema } from '../../../src/domain/accessRequest';
import { checkIamLimits, IamLimits, type PlannedIamObjects } from '../../../src/domain/checkIamLimits';
import { BrokerError, IamLimitExceededError, ValidationError } from '../../../src/domain/errors';
import { makePermissionPolicy } from '../../../src/domain/makePermissionPolicy';
import { makeTags, type Tag } from '../../../src/domain/makeTags';
import { makeTrustPolicy } from '../../../src/domain/makeTrustPolicy';
import { policySize, type PolicyDocument } from '../../../src/domain/policyDocument';

const TRUST_POLICY_LIMIT = 2048;

/** A plan's IAM objects as makeGrantPlan would build them for one small grant. */
function plannedObjects(overrides: Partial<PlannedIamObjects> = {}): PlannedIamObjects {
  return {
    roleName: 'irsa-dev.payments.invoice-exporter',
    rolePath: '/irsa-broker/',
    trustPolicy: makeTrustPolicy({
      partition: 'aws',
      accountId: '111122223333',
      issuerUrl: 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
      namespace: 'payments',
      serviceAccount: 'invoice-exporter',
    }),
    permissionPolicy: makePermissionPolicy(
      [S3GrantSchema.parse({ type: 's3', bucket: 'acme-invoices', prefix: 'exports', level: 'read' })],
      'aws',
      () => '111122223333',
    ),
    tags: makeTags({ cluster: 'dev', namespace: 'payments', serviceAccount: 'invoice-exporter', extraTags: { 'cost-center': 'platform' } }),
    ...overrides,
  };
}

/** The error checkIamLimits throws, or a failure when it throws none. */
function violationOf(objects: PlannedIamObjects, trustPolicySizeLimit = TRUST_POLICY_LIMIT): BrokerError {
  try {
    checkIamLimits(objects, trustPolicySizeLimit);
  } catch (error) {
    if (error instanceof BrokerError) return error;
    throw error;
  }
  throw new Error('expected checkIamLimits to refuse the plan');
}

const tags = (count: number): Tag[] => Array.from({ length: count }, (_, index) => ({ Key: `tag-${index}`, Value: 'x' }));

/** A permission policy far beyond IAM's 6,144 characters: many long prefixes on many long buckets. */
function oversizedPermissionPolicy(): PolicyDocument {
  const grants = Array.from({ length: 20 }, (_, index) =>
    S3GrantSchema.parse({ type: 's3', bucket: `bucket-${index}-${'b'.repeat(50)}`, prefix: 'p'.repeat(100), level: 'read-write' }),
  );
  const document = makePermissionPolicy(grants, 'aws', () => '111122223333');
  if (!document) throw new Error('expected a permission policy');
  return document;
}

describe('checkIamLimits', () => {
  it('accepts a plan within every limit', () => {
    // Arrange
    const objects = plannedObjects();

    // Act
    const check = () => checkIamLimits(objects, TRUST_POLICY_LIMIT);

    // Assert
    expect(check).not.toThrow();
  });

  it('accepts a plan without a permission policy (managed policies only)', () => {
    // Arrange
    const objects = plannedObjects({ permissionPolicy: null });

    // Act
    const check = () => checkIamLimits(objects, TRUST_POLICY_LIMIT);

    // Assert
    expect(check).not.toThrow();
  });

  it.each<[string, Partial<PlannedIamObjects>, { limit: number; actual: number }]>([
    ['ROLE_NAME_TOO_LONG', { roleName: 'r'.repeat(65) }, { limit: 64, actual: 65 }],
    ['ROLE_PATH_TOO_LONG', { rolePath: `/${'p'.repeat(511)}/` }, { limit: 512, actual: 513 }],
    ['TOO_MANY_TAGS', { tags: tags(51) }, { limit: 50, actual: 51 }],
    ['TAG_KEY_TOO_LONG', { tags: [{ Key: 'k'.repeat(129), Value: 'v' }] }, { limit: 128, actual: 129 }],
    ['TAG_VALUE_TOO_LONG', { tags: [{ Key: 'k', Value: 'v'.repeat(257) }] }, { limit: 256, actual: 257 }],
  ])('refuses %s with the limit and the actual number', (code, overrides, details) => {
    // Arrange
    const objects = plannedObjects(overrides);

    // Act
    const error = violationOf(objects);

    // Assert
    expect(error).toBeInstanceOf(IamLimitExceededError);
    expect(error.code).toBe(code);
    expect(error.details).toEqual(details);
    expect(error.message).toContain(`is ${details.actual}; the limit is ${details.limit}`);
  });

  it.each([
    ['a role name', { roleName: 'r'.repeat(64) }],
    ['a role path', { rolePath: `/${'p'.repeat(510)}/` }],
    ['tags', { tags: tags(50) }],
    ['a tag key', { tags: [{ Key: 'k'.repeat(128), Value: 'v' }] }],
    ['a tag value', { tags: [{ Key: 'k', Value: 'v'.repeat(256) }] }],
  ])('accepts %s exactly at its limit', (_what, overrides) => {
    // Arrange
    const objects = plannedObjects(overrides);

    // Act
    const check = () => checkIamLimits(objects, TRUST_POLICY_LIMIT);

    // Assert
    expect(check).not.toThrow();
  });

  it('refuses TRUST_POLICY_TOO_LARGE against the configured trust-policy limit', () => {
    // Arrange
    const objects = plannedObjects();
    const size = policySize(objects.trustPolicy);

    // Act
    const error = violationOf(objects, size - 1);

    // Assert
    expect(error).toBeInstanceOf(IamLimitExceededError);
    expect(error.code).toBe('TRUST_POLICY_TOO_LARGE');
    expect(error.details).toEqual({ limit: size - 1, actual: size });
  });

  it('accepts a trust policy exactly at the configured limit', () => {
    // Arrange
    const objects = plannedObjects();

    // Act
    const check = () => checkIamLimits(objects, policySize(objects.trustPolicy));

    // Assert
    expect(check).not.toThrow();
  });

  it('refuses MANAGED_POLICY_TOO_LARGE beyond 6,144 characters', () => {
    // Arrange
    const permissionPolicy = oversizedPermissionPolicy();
    const objects = plannedObjects({ permissionPolicy });

    // Act
    const error = violationOf(objects);

    // Assert
    expect(error).toBeInstanceOf(IamLimitExceededError);
    expect(error.code).toBe('MANAGED_POLICY_TOO_LARGE');
    expect(error.details).toEqual({ limit: IamLimits.managedPolicySize, actual: JSON.stringify(permissionPolicy).length });
  });

  it('counts policy size as IAM does, without whitespace', () => {
    // Arrange
    const objects = plannedObjects();
    const pretty = JSON.stringify(objects.trustPolicy, null, 2);
    const withoutWhitespace = pretty.replace(/\s/g, '').length;

    // Act
    const atLimit = () => checkIamLimits(objects, withoutWhitespace);
    const error = violationOf(objects, withoutWhitespace - 1);

    // Assert
    expect(pretty.length).toBeGreaterThan(withoutWhitespace);
    expect(atLimit).not.toThrow();
    expect(error.details).toEqual({ limit: withoutWhitespace - 1, actual: withoutWhitespace });
  });

  it('does not count whitespace inside values either', () => {
    // Arrange
    const compact = plannedObjects();
    const [statement] = compact.trustPolicy.Statement;
    const padded = plannedObjects({
      trustPolicy: { ...compact.trustPolicy, Statement: [{ ...statement!, Condition: { StringEquals: { 'a b': ' c ' } } }] },
    });
    const unpadded = plannedObjects({
      trustPolicy: { ...compact.trustPolicy, Statement: [{ ...statement!, Condition: { StringEquals: { ab: 'c' } } }] },
    });

    // Act
    const [paddedSize, unpaddedSize] = [policySize(padded.trustPolicy), policySize(unpadded.trustPolicy)];

    // Assert
    expect(paddedSize).toBe(unpaddedSize);
  });

  it('checks in a fixed order: the role name before anything else', () => {
    // Arrange
    const objects = plannedObjects({ roleName: 'r'.repeat(65), rolePath: `/${'p'.repeat(600)}/`, tags: tags(60) });

    // Act
    const error = violationOf(objects);

    // Assert
    expect(error.code).toBe('ROLE_NAME_TOO_LONG');
  });

  describe('policy grammar', () => {
    const trust = plannedObjects().trustPolicy;
    const permission = plannedObjects().permissionPolicy!;
    const [trustStatement] = trust.Statement;
    const [permissionStatement] = permission.Statement;

    it.each([
      ['a trust policy with another Version', { trustPolicy: { ...trust, Version: '2008-10-17' } }],
      ['a permission policy with another Version', { permissionPolicy: { ...permission, Version: '2008-10-17' } }],
      [
        'an action without a vendor',
        { permissionPolicy: { ...permission, Statement: [{ ...permissionStatement!, Action: 'GetObject' }] } },
      ],
      ['an action that is "*"', { permissionPolicy: { ...permission, Statement: [{ ...permissionStatement!, Action: ['*'] }] } }],
      ['a resource that is "*"', { permissionPolicy: { ...permission, Statement: [{ ...permissionStatement!, Resource: '*' }] } }],
      ['a resource list holding "*"', { permissionPolicy: { ...permission, Statement: [{ ...permissionStatement!, Resource: ['*'] }] } }],
      ['an empty statement list', { permissionPolicy: { ...permission, Statement: [] } }],
      [
        'a federated principal that is "*"',
        { trustPolicy: { ...trust, Statement: [{ ...trustStatement!, Principal: { Federated: '*' } }] } },
      ],
      ['an effect that is neither Allow nor Deny', { trustPolicy: { ...trust, Statement: [{ ...trustStatement!, Effect: 'Permit' }] } }],
    ])('refuses %s as POLICY_GRAMMAR_INVALID', (_what, overrides) => {
      // Arrange
      const objects = plannedObjects(overrides as Partial<PlannedIamObjects>);

      // Act
      const error = violationOf(objects);

      // Assert
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).not.toBeInstanceOf(IamLimitExceededError);
      expect(error.code).toBe('POLICY_GRAMMAR_INVALID');
      expect(error.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: expect.any(String), message: expect.any(String) })]),
      );
    });
  });
});
