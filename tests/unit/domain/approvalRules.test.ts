import { AccessRequestSchema, type AccessRequestInput } from '../../../src/domain/accessRequest';
import {
  assertMayRequest,
  effectiveDurationHours,
  findApprovalRule,
  findAutoApproval,
  isApprover,
  type AutoApprovalCondition,
} from '../../../src/domain/approvalRules';
import { ForbiddenError, ValidationError } from '../../../src/domain/errors';
import { alice, bob, makeRequestInput, makeRule, mallory } from '../../support/accessRequestRecord';
import { errorOf } from '../../support/errorOf';

const SQS_READ_ONLY = 'arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess';

function request(overrides: Partial<AccessRequestInput> = {}) {
  return AccessRequestSchema.parse(makeRequestInput(overrides));
}

describe('findApprovalRule', () => {
  const rules = [
    makeRule({ id: 'prod-payments', clusters: ['prod-*'], namespaces: ['payments'] }),
    makeRule({ id: 'payments', namespaces: ['payments', 'payments-*'] }),
    makeRule({ id: 'catch-all', namespaces: ['*'] }),
  ];

  it('returns the first rule whose clusters and namespaces both match', () => {
    // Arrange / Act
    const rule = findApprovalRule(rules, 'prod-eu', 'payments');

    // Assert
    expect(rule.id).toBe('prod-payments');
  });

  it('skips a rule whose namespaces match but whose clusters do not', () => {
    // Arrange / Act
    const rule = findApprovalRule(rules, 'dev', 'payments');

    // Assert
    expect(rule.id).toBe('payments');
  });

  it('uses the earlier rule even when a later one matches too', () => {
    // Arrange / Act
    const rule = findApprovalRule(rules, 'dev', 'payments-batch');

    // Assert
    expect(rule.id).toBe('payments');
  });

  it('falls through to the last matching rule', () => {
    // Arrange / Act
    const rule = findApprovalRule(rules, 'dev', 'marketing');

    // Assert
    expect(rule.id).toBe('catch-all');
  });

  it('applies to every cluster when the rule names none', () => {
    // Arrange / Act
    const rule = findApprovalRule([makeRule()], 'any-cluster', 'payments');

    // Assert
    expect(rule.clusters).toEqual(['*']);
  });

  it('refuses a namespace no rule covers with NAMESPACE_NOT_GOVERNED', () => {
    // Arrange
    const onlyPayments = [makeRule()];

    // Act
    const error = errorOf(() => findApprovalRule(onlyPayments, 'dev', 'marketing'));

    // Assert
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'NAMESPACE_NOT_GOVERNED' });
    expect((error as Error).message).toContain('"marketing"');
  });

  it('refuses everything when there are no rules', () => {
    // Arrange / Act
    const error = errorOf(() => findApprovalRule([], 'dev', 'payments'));

    // Assert
    expect(error).toMatchObject({ code: 'NAMESPACE_NOT_GOVERNED' });
  });
});

describe('assertMayRequest', () => {
  it('lets a member of an owner group request', () => {
    // Arrange / Act
    const act = () => assertMayRequest(makeRule(), alice, 'payments');

    // Assert
    expect(act).not.toThrow();
  });

  it.each([
    ['someone from another team', mallory],
    ['an approver who does not own the namespace', bob],
  ])('refuses %s with NOT_A_NAMESPACE_OWNER', (_who, caller) => {
    // Arrange / Act
    const error = errorOf(() => assertMayRequest(makeRule(), caller, 'payments'));

    // Assert
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'NOT_A_NAMESPACE_OWNER', details: { rule: 'payments', ownerGroups: ['team-payments'] } });
  });
});

describe('isApprover', () => {
  it('is true only for members of an approver group', () => {
    // Arrange
    const rule = makeRule({ approverGroups: ['payments-leads', 'security'] });

    // Act
    const answers = [bob, { ...mallory, groups: ['security'] }, alice].map((caller) => isApprover(rule, caller));

    // Assert
    expect(answers).toEqual([true, true, false]);
  });
});

describe('effectiveDurationHours', () => {
  it("defaults to the rule's maximum when none was asked for", () => {
    // Arrange
    const rule = makeRule({ maxDurationHours: 48 });

    // Act
    const hours = effectiveDurationHours(rule, request());

    // Assert
    expect(hours).toBe(48);
  });

  it('defaults to 90 days when the rule sets no maximum', () => {
    // Arrange / Act
    const hours = effectiveDurationHours(makeRule(), request());

    // Assert
    expect(hours).toBe(24 * 90);
  });

  it.each([1, 24, 48])('grants the %i hours asked for, up to the maximum', (durationHours) => {
    // Arrange
    const rule = makeRule({ maxDurationHours: 48 });

    // Act
    const hours = effectiveDurationHours(rule, request({ durationHours }));

    // Assert
    expect(hours).toBe(durationHours);
  });

  it('refuses more than the maximum with DURATION_EXCEEDS_MAXIMUM, giving both numbers', () => {
    // Arrange
    const rule = makeRule({ maxDurationHours: 48 });

    // Act
    const error = errorOf(() => effectiveDurationHours(rule, request({ durationHours: 49 })));

    // Assert
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'DURATION_EXCEEDS_MAXIMUM', details: { limit: 48, actual: 49 } });
  });
});

describe('findAutoApproval', () => {
  const readOfSharedBuckets: Partial<AutoApprovalCondition> = { s3Levels: ['read', 'list'], bucketPatterns: ['shared-*'] };

  it('is undefined when the rule has no conditions', () => {
    // Arrange / Act
    const index = findAutoApproval(makeRule(), request(), 24);

    // Assert
    expect(index).toBeUndefined();
  });

  it('finds a condition that the level and bucket fit', () => {
    // Arrange
    const rule = makeRule({ autoApprove: [readOfSharedBuckets] });

    // Act
    const index = findAutoApproval(rule, request({ grants: [{ type: 's3', bucket: 'shared-reports', level: 'read' }] }), 24);

    // Assert
    expect(index).toBe(0);
  });

  it.each([
    ['a ServiceAccount pattern', { serviceAccountPattern: 'invoice-*' }],
    ['the adoption of an existing ServiceAccount', { adoptExistingServiceAccount: true }],
  ])('never auto-approves %s, even when every grant fits', (_what, extra) => {
    // Arrange
    const rule = makeRule({ autoApprove: [readOfSharedBuckets] });

    // Act
    const index = findAutoApproval(rule, request({ grants: [{ type: 's3', bucket: 'shared-reports', level: 'read' }], ...extra }), 24);

    // Assert
    expect(index).toBeUndefined();
  });

  it('refuses a level the condition does not list', () => {
    // Arrange
    const rule = makeRule({ autoApprove: [readOfSharedBuckets] });

    // Act
    const index = findAutoApproval(rule, request({ grants: [{ type: 's3', bucket: 'shared-reports', level: 'write' }] }), 24);

    // Assert
    expect(index).toBeUndefined();
  });

  it('refuses a bucket the globs do not match', () => {
    // Arrange
    const rule = makeRule({ autoApprove: [readOfSharedBuckets] });

    // Act
    const index = findAutoApproval(rule, request({ grants: [{ type: 's3', bucket: 'acme-invoices', level: 'read' }] }), 24);

    // Assert
    expect(index).toBeUndefined();
  });

  it('matches bucket globs with "?" as exactly one character', () => {
    // Arrange
    const rule = makeRule({ autoApprove: [{ s3Levels: ['read'], bucketPatterns: ['logs-??'] }] });

    // Act
    const fits = ['logs-eu', 'logs-use'].map((bucket) =>
      findAutoApproval(rule, request({ grants: [{ type: 's3', bucket, level: 'read' }] }), 1),
    );

    // Assert
    expect(fits).toEqual([0, undefined]);
  });

  it('needs every grant to fit: one grant outside the condition spoils the whole request', () => {
    // Arrange
    const rule = makeRule({ autoApprove: [readOfSharedBuckets] });
    const grants: AccessRequestInput['grants'] = [
      { type: 's3', bucket: 'shared-reports', level: 'read' },
      { type: 's3', bucket: 'acme-invoices', level: 'read' },
    ];

    // Act
    const index = findAutoApproval(rule, request({ grants }), 24);

    // Assert
    expect(index).toBeUndefined();
  });

  it('needs all grants to fit one condition: grants fitting different conditions are not enough', () => {
    // Arrange
    const rule = makeRule({
      autoApprove: [{ s3Levels: ['read'], bucketPatterns: ['shared-*'] }, { managedPolicyArns: [SQS_READ_ONLY] }],
    });
    const grants: AccessRequestInput['grants'] = [
      { type: 's3', bucket: 'shared-reports', level: 'read' },
      { type: 'managed-policy', arn: SQS_READ_ONLY },
    ];

    // Act
    const index = findAutoApproval(rule, request({ grants }), 24);

    // Assert
    expect(index).toBeUndefined();
  });

  it('accepts managed policies the condition lists, and only those', () => {
    // Arrange
    const rule = makeRule({ autoApprove: [{ managedPolicyArns: [SQS_READ_ONLY] }] });

    // Act
    const listed = findAutoApproval(rule, request({ grants: [{ type: 'managed-policy', arn: SQS_READ_ONLY }] }), 24);
    const unlisted = findAutoApproval(
      rule,
      request({ grants: [{ type: 'managed-policy', arn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' }] }),
      24,
    );

    // Assert
    expect(listed).toBe(0);
    expect(unlisted).toBeUndefined();
  });

  it('never fits an S3 grant to a condition that only lists managed policies', () => {
    // Arrange
    const rule = makeRule({ autoApprove: [{ managedPolicyArns: [SQS_READ_ONLY] }] });

    // Act
    const index = findAutoApproval(rule, request({ grants: [{ type: 's3', bucket: 'shared-reports', level: 'read' }] }), 24);

    // Assert
    expect(index).toBeUndefined();
  });

  it.each([
    [24, 0],
    [25, undefined],
  ])('with maxDurationHours 24, a grant of %i hours fits condition %p', (durationHours, expected) => {
    // Arrange
    const rule = makeRule({ autoApprove: [{ ...readOfSharedBuckets, maxDurationHours: 24 }] });

    // Act
    const index = findAutoApproval(rule, request({ grants: [{ type: 's3', bucket: 'shared-reports', level: 'read' }] }), durationHours);

    // Assert
    expect(index).toBe(expected);
  });

  it('returns the index of the first condition that fits', () => {
    // Arrange
    const rule = makeRule({
      autoApprove: [
        { s3Levels: ['list'], bucketPatterns: ['*'] },
        { s3Levels: ['read'], bucketPatterns: ['shared-*'], maxDurationHours: 8 },
        { s3Levels: ['read'], bucketPatterns: ['*'] },
        { s3Levels: ['read', 'list'], bucketPatterns: ['*'] },
      ],
    });

    // Act
    const index = findAutoApproval(rule, request({ grants: [{ type: 's3', bucket: 'shared-reports', level: 'read' }] }), 24);

    // Assert
    expect(index).toBe(2);
  });
});
