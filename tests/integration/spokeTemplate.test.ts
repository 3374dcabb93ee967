import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensureMotoVenv } from '../harness/moto/setup.mjs';
import { cfnLintErrors } from '../support/cfnLint';
import { parliamentFindings } from '../support/parliament';

const root = join(__dirname, '../..');
const TEMPLATE = join(root, 'deploy/spoke-account.yaml');
const TAGS = ['Sub', 'Ref', 'GetAtt', 'Join', 'If', 'Equals', 'Not'];

interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The template as data: intrinsic functions keep their arguments (a !Sub stays its string). */
function template() {
  const customTags = TAGS.flatMap((tag) => [
    { tag: `!${tag}`, resolve: (value: unknown) => value },
    { tag: `!${tag}`, collection: 'seq' as const, resolve: (value: unknown) => value },
  ]);
  return parse(readFileSync(TEMPLATE, 'utf8'), { customTags });
}

/** The provisioner's statements; the conditional one (an !If list) contributes its "true" branch. */
function provisionerStatements(): Statement[] {
  const statements = template().Resources.ProvisionerRole.Properties.Policies[0].PolicyDocument.Statement as unknown[];
  return statements.map((statement) => {
    const value = (statement as { items?: unknown[] }).items ?? statement;
    return (
      Array.isArray(value) ? (value as unknown[]).map((item) => (item as { toJSON?: () => unknown }).toJSON?.() ?? item)[1] : value
    ) as Statement;
  });
}

const actionsOf = (statement: Statement) => (Array.isArray(statement.Action) ? statement.Action : [statement.Action ?? '']);
const allows = (action: string) => provisionerStatements().filter((s) => s.Effect === 'Allow' && actionsOf(s).includes(action));
const BOUNDARY = 'arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/${BoundaryPolicyName}';
const ROLE_PATH = 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role${RolePath}*';

describe('deploy/spoke-account.yaml', () => {
  it('passes cfn-lint with 0 errors', async () => {
    // Arrange
    await ensureMotoVenv(root);

    // Act
    const errors = cfnLintErrors(root, TEMPLATE);

    // Assert
    expect(errors).toEqual([]);
  }, 120_000);

  it('lets the provisioner create roles only under its path, with the boundary and the broker tag', () => {
    // Act
    const create = allows('iam:CreateRole');

    // Assert
    expect(create).toHaveLength(1);
    expect(create[0]).toMatchObject({
      Resource: ROLE_PATH,
      Condition: { StringEquals: { 'iam:PermissionsBoundary': BOUNDARY, 'aws:RequestTag/irsa-broker:managed-by': 'irsa-broker' } },
    });
  });

  it('attaches only its own path’s policies and the allow-listed ones, and only to fenced broker roles', () => {
    // Act
    const attach = allows('iam:AttachRolePolicy');

    // Assert
    expect(attach.map((statement) => statement.Condition?.ArnLike ?? statement.Condition?.ArnEquals)).toEqual([
      { 'iam:PolicyARN': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:policy${RolePath}*' },
      { 'iam:PolicyARN': 'AllowedManagedPolicyArns' },
    ]);
    attach.forEach((statement) =>
      expect(statement.Condition?.StringEquals).toEqual({
        'iam:PermissionsBoundary': BOUNDARY,
        'aws:ResourceTag/irsa-broker:managed-by': 'irsa-broker',
      }),
    );
  });

  it('requires the broker tag on every role and policy it may change', () => {
    // Arrange
    const mutating = [
      'iam:UpdateAssumeRolePolicy',
      'iam:DeleteRole',
      'iam:DetachRolePolicy',
      'iam:PutRolePermissionsBoundary',
      'iam:DeletePolicyVersion',
      'iam:DeletePolicy',
    ];

    // Act
    const conditions = mutating.flatMap((action) => allows(action).map((statement) => statement.Condition?.StringEquals));

    // Assert
    expect(conditions).toHaveLength(mutating.length);
    conditions.forEach((condition) => expect(condition).toMatchObject({ 'aws:ResourceTag/irsa-broker:managed-by': 'irsa-broker' }));
  });

  it('lets the reconciler read the account authorization details, the one IAM allow on "*"', () => {
    // Act
    const onStar = provisionerStatements().filter((statement) => statement.Effect === 'Allow' && [statement.Resource].flat().includes('*'));

    // Assert
    expect(onStar.map((statement) => [statement.Sid, statement.Action])).toEqual([
      ['ReadAccountAuthorizationDetails', 'iam:GetAccountAuthorizationDetails'],
    ]);
  });

  it('never allows inline policies or removing a boundary, and denies them outright', () => {
    // Act
    const denied = provisionerStatements().find((statement) => statement.Sid === 'NoInlinePoliciesNoUnfencing');

    // Assert
    expect(allows('iam:PutRolePolicy')).toEqual([]);
    expect(allows('iam:DeleteRolePermissionsBoundary')).toEqual([]);
    expect(denied).toMatchObject({ Effect: 'Deny', Resource: '*' });
    expect(actionsOf(denied!)).toEqual(expect.arrayContaining(['iam:PutRolePolicy', 'iam:DeleteRolePermissionsBoundary']));
  });

  it('passes parliament (privilege-escalation auditor included) with no privilege-escalation finding', () => {
    // Act
    const findings = parliamentFindings(root, provisionerStatements());

    // Assert
    expect(findings.filter((finding) => finding.issue === 'PRIVILEGE_ESCALATION')).toEqual([]);
  });

  it('never allows a policy version (denied everywhere), and denies every write to the boundary policy and to the provisioner role itself', () => {
    // Act
    const bySid = Object.fromEntries(provisionerStatements().map((statement) => [statement.Sid, statement]));

    // Assert
    expect(allows('iam:CreatePolicyVersion')).toEqual([]);
    expect(allows('iam:SetDefaultPolicyVersion')).toEqual([]);
    expect(bySid.NoInlinePoliciesNoUnfencing).toMatchObject({ Effect: 'Deny', Resource: '*' });
    expect(actionsOf(bySid.NoInlinePoliciesNoUnfencing!)).toEqual(
      expect.arrayContaining(['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion']),
    );
    expect(bySid.NeverWriteTheBoundary).toMatchObject({ Effect: 'Deny', Resource: BOUNDARY });
    expect(actionsOf(bySid.NeverWriteTheBoundary!)).toEqual(
      expect.arrayContaining(['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:SetDefaultPolicyVersion']),
    );
    expect(bySid.NeverChangeItself).toMatchObject({
      Effect: 'Deny',
      NotAction: ['iam:Get*', 'iam:List*'],
      Resource: 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role${RolePath}${ProvisionerRoleName}',
    });
  });

  it('is trusted by the hub role alone, with the session-name prefix the broker uses', () => {
    // Act
    const [trust] = template().Resources.ProvisionerRole.Properties.AssumeRolePolicyDocument.Statement;

    // Assert
    expect(trust).toMatchObject({
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Principal: { AWS: 'arn:${AWS::Partition}:iam::${HubAccountId}:role${HubRolePath}${HubRoleName}' },
    });
    expect(JSON.stringify(trust.Condition)).toContain('"sts:RoleSessionName":"irsa-broker-*"');
    expect(JSON.stringify(trust.Condition)).toContain('"sts:ExternalId":"ExternalId"');
  });

  it('maps the provisioner role to the Kubernetes group in each named cluster', () => {
    // Act
    const entries = Object.values(template().Resources as Record<string, { Type: string; Condition?: string; Properties: any }>).filter(
      (resource) => resource.Type === 'AWS::EKS::AccessEntry',
    );

    // Assert
    expect(entries.map((entry) => entry.Condition)).toEqual(['HasCluster1', 'HasCluster2', 'HasCluster3']);
    entries.forEach((entry) => expect(entry.Properties).toMatchObject({ Type: 'STANDARD', KubernetesGroups: ['KubernetesGroup'] }));
  });
});
