import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadBrokerConfig } from '../../src/config';
import { provisionerRoleArns } from '../../src/domain/accounts';
import { MANAGED_BY_TAG, MANAGED_BY_VALUE } from '../../src/domain/makeTags';
import { ensureMotoVenv } from '../harness/moto/setup.mjs';
import { cfnLintErrors } from '../support/cfnLint';
import { resolveIntrinsics } from '../support/cloudFormation';
import { parliamentFindings, type ParliamentFinding } from '../support/parliament';

const root = join(__dirname, '../..');
const ACCOUNT = '111122223333';
const BROKER_TAG = { resource: `aws:ResourceTag/${MANAGED_BY_TAG}`, request: `aws:RequestTag/${MANAGED_BY_TAG}` };

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

/** The template's resources that the role's statements name, where they would be deployed. */
const ARNS: Record<string, string> = {
  AccessRequestsTable: `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/irsa-broker-dev`,
  ReconcileQueue: `arn:aws:sqs:eu-west-1:${ACCOUNT}:irsa-broker-dev-reconcile.fifo`,
  FailedInvocationsQueue: `arn:aws:sqs:eu-west-1:${ACCOUNT}:irsa-broker-dev-FailedInvocationsQueue`,
};

const actionsOf = (statement: Statement) => [statement.Action].flat();
const conditionValue = (statement: Statement, key: string) =>
  Object.values(statement.Condition ?? {}).find((operator) => key in operator)?.[key];

describe('npx serverless package', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'irsa-broker-package-'));
  let template: { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'node_modules/.bin/serverless'), 'package', '--package', outDir], {
      cwd: root,
      // No credentials and no network beyond loopback: packaging must not need either.
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
      stdio: 'pipe',
    });
    template = JSON.parse(readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'));
  }, 180_000);

  it('works offline and emits the template and one zip per function', () => {
    const files = readdirSync(outDir);
    const service = parse(readFileSync(join(root, 'serverless.yml'), 'utf8'), {
      logLevel: 'silent',
      customTags: [{ tag: '!Sub', resolve: (value: string) => value }],
    });
    const functions = Object.keys(service.functions);
    expect(files).toContain('cloudformation-template-update-stack.json');
    expect(files.filter((file) => file.endsWith('.zip')).sort()).toEqual(functions.map((name) => `${name}.zip`).sort());
    const lambdas = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
    expect(lambdas).toHaveLength(functions.length);
    lambdas.forEach((lambda) => expect(lambda.Properties.Runtime).toBe('nodejs22.x'));
  });

  it('passes cfn-lint with 0 errors', async () => {
    // Arrange
    await ensureMotoVenv(root);

    // Act
    const errors = cfnLintErrors(root, join(outDir, 'cloudformation-template-update-stack.json'));

    // Assert
    expect(errors).toEqual([]);
  }, 120_000);

  it('sends provisioning and Slack invocations Lambda gives up on to a queue the sweep drains, and runs the sweep every 5 minutes', () => {
    const invokeConfigs = Object.values(template.Resources).filter(
      (resource) => (resource as { Type: string }).Type === 'AWS::Lambda::EventInvokeConfig',
    ) as unknown as { Properties: { FunctionName: { Ref: string }; DestinationConfig: { OnFailure: { Destination: unknown } } } }[];
    expect(invokeConfigs.map((config) => config.Properties.FunctionName.Ref).sort()).toEqual([
      'ProvisionGrantLambdaFunction',
      'SlackWorkerLambdaFunction',
    ]);
    for (const config of invokeConfigs)
      expect(config.Properties.DestinationConfig.OnFailure.Destination).toEqual({ 'Fn::GetAtt': ['FailedInvocationsQueue', 'Arn'] });
    const sweep = template.Resources.SweepRequestsLambdaFunction as unknown as {
      Properties: { Timeout: number; Environment: { Variables: Record<string, unknown> } };
    };
    expect(sweep.Properties.Environment.Variables.IRSA_BROKER_FAILED_INVOCATIONS_QUEUE_URL).toEqual({ Ref: 'FailedInvocationsQueue' });
    const schedules = Object.values(template.Resources).filter(
      (resource) => (resource as { Type: string }).Type === 'AWS::Events::Rule',
    ) as unknown as {
      Properties: { ScheduleExpression: string };
    }[];
    expect(schedules.map((rule) => rule.Properties.ScheduleExpression)).toContain('rate(5 minutes)');
  });

  describe('the reconcile queue', () => {
    const resource = (logicalId: string) => template.Resources[logicalId]!.Properties;
    const mapping = () =>
      Object.values(template.Resources).find(
        (entry) =>
          entry.Type === 'AWS::Lambda::EventSourceMapping' && entry.Properties.EventSourceArn?.['Fn::GetAtt']?.[0] === 'ReconcileQueue',
      )!.Properties;
    const consumer = () => resource('ReconcileAccountLambdaFunction');

    it('is FIFO (one message group per account), encrypted, and sends a job that failed three times to its dead-letter queue', () => {
      expect(resource('ReconcileQueue')).toMatchObject({
        FifoQueue: true,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['ReconcileDeadLetterQueue', 'Arn'] }, maxReceiveCount: 3 },
      });
      expect(resource('ReconcileDeadLetterQueue')).toMatchObject({ FifoQueue: true, SqsManagedSseEnabled: true });
      expect(resource('ReconcileDeadLetterQueue').MessageRetentionPeriod).toBeGreaterThan(
        resource('ReconcileQueue').MessageRetentionPeriod,
      );
    });

    it('hides a message longer than its consumer can run (six times, as Lambda advises), and hands it over one at a time', () => {
      expect(resource('ReconcileQueue').VisibilityTimeout).toBeGreaterThanOrEqual(6 * consumer().Timeout);
      expect(mapping()).toMatchObject({ BatchSize: 1, FunctionName: { 'Fn::GetAtt': ['ReconcileAccountLambdaFunction', 'Arn'] } });
    });

    it('is where the dispatcher and the consumer send their jobs', () => {
      for (const fn of ['ReconcileGrantsLambdaFunction', 'ReconcileAccountLambdaFunction']) {
        expect(resource(fn).Environment.Variables.IRSA_BROKER_RECONCILE_QUEUE_URL).toEqual({ Ref: 'ReconcileQueue' });
      }
    });
  });

  describe("the broker's own role", () => {
    const role = () => template.Resources.IamRoleLambdaExecution!.Properties;
    const resolved = (raw: unknown[]): Statement[] =>
      resolveIntrinsics(raw, {
        partition: 'aws',
        region: 'eu-west-1',
        accountId: ACCOUNT,
        arnOf: (logicalId) => {
          expect(Object.keys(ARNS)).toContain(logicalId);
          return ARNS[logicalId]!;
        },
      }) as Statement[];
    /** The role's own statements: what it holds when the broker acts in every account, the hub's included, through provisioner roles. */
    const inlineStatements = (): Statement[] =>
      resolved(role().Policies.flatMap((policy: { PolicyDocument: { Statement: Statement[] } }) => policy.PolicyDocument.Statement));
    /** Its IAM statements in the hub's own account (a conditional policy of the role). */
    const hubIamStatements = (): Statement[] => resolved(template.Resources.BrokerHubIamPolicy!.Properties.PolicyDocument.Statement);
    /** Everything the role may ever hold: each statement is held to its conditions whichever shape is deployed. */
    const statements = (): Statement[] => [...inlineStatements(), ...hubIamStatements()];
    const iamWrites = () =>
      statements().filter(
        (statement) => statement.Effect === 'Allow' && actionsOf(statement).some((action) => /^iam:(?!Get|List)/.test(action)),
      );

    it('lives outside the path it manages and holds no managed policy, so no policy it may rewrite is its own', () => {
      expect(role().Path).toBe('/');
      expect(role().ManagedPolicyArns).toBeUndefined();
    });

    it('may write IAM only under its path: every IAM write names a resource under /irsa-broker/ or an OIDC provider', () => {
      const resources = iamWrites().flatMap((statement) => [statement.Resource].flat());
      expect(resources.length).toBeGreaterThan(0);
      resources.forEach((resource) =>
        expect(resource).toMatch(new RegExp(`^arn:aws:iam::${ACCOUNT}:(role/irsa-broker/|policy/irsa-broker/|oidc-provider/)`)),
      );
    });

    it("needs the broker's tag for every IAM write: on the request when creating or tagging, on the object when changing it", () => {
      for (const statement of iamWrites()) {
        const creates = actionsOf(statement).every((action) => /^iam:(Create|Tag)/.test(action) && action !== 'iam:CreatePolicyVersion');
        expect([statement.Action, conditionValue(statement, creates ? BROKER_TAG.request : BROKER_TAG.resource)]).toEqual([
          statement.Action,
          MANAGED_BY_VALUE,
        ]);
      }
    });

    it('creates a role, or puts its boundary back, only with the configured permissions boundary', () => {
      const fenced = iamWrites().filter((statement) =>
        actionsOf(statement).some((action) => action === 'iam:CreateRole' || action === 'iam:PutRolePermissionsBoundary'),
      );
      expect(fenced).toHaveLength(2);
      fenced.forEach((statement) =>
        expect(conditionValue(statement, 'iam:PermissionsBoundary')).toBe(`arn:aws:iam::${ACCOUNT}:policy/irsa-broker-boundary`),
      );
    });

    it('can never put an inline policy, remove a boundary, or change the boundary policy: explicit denies, allowed nowhere', () => {
      const denied = statements().filter((statement) => statement.Effect === 'Deny');
      expect(denied).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Action: [
              'iam:PutRolePolicy',
              'iam:DeleteRolePolicy',
              'iam:DeleteRolePermissionsBoundary',
              'iam:CreatePolicyVersion',
              'iam:SetDefaultPolicyVersion',
            ],
            Resource: '*',
          }),
          expect.objectContaining({
            Action: expect.arrayContaining(['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy']),
            Resource: `arn:aws:iam::${ACCOUNT}:policy/irsa-broker-boundary`,
          }),
        ]),
      );
      const allowed = statements()
        .filter((statement) => statement.Effect === 'Allow')
        .flatMap(actionsOf);
      expect(allowed).not.toEqual(expect.arrayContaining(['iam:PutRolePolicy']));
      expect(allowed).not.toContain('iam:DeleteRolePermissionsBoundary');
      expect(allowed).not.toContain('iam:SetDefaultPolicyVersion');
      expect(allowed.filter((action) => action.includes('*'))).toEqual([]);
    });

    it('reaches SQS only on its two queues: reconcile jobs, and the on-failure destination (sent to by Lambda, drained by the sweep)', () => {
      const sqs = statements().filter((statement) => actionsOf(statement).some((action) => action.startsWith('sqs:')));
      const byQueue = (arn: string) =>
        sqs
          .filter((statement) => [statement.Resource].flat().includes(arn))
          .flatMap(actionsOf)
          .sort();
      expect(byQueue(ARNS.ReconcileQueue!)).toEqual([
        'sqs:DeleteMessage',
        'sqs:GetQueueAttributes',
        'sqs:ReceiveMessage',
        'sqs:SendMessage',
      ]);
      expect([...new Set(byQueue(ARNS.FailedInvocationsQueue!))]).toEqual(['sqs:DeleteMessage', 'sqs:ReceiveMessage', 'sqs:SendMessage']);
      sqs.forEach((statement) =>
        expect([ARNS.ReconcileQueue, ARNS.FailedInvocationsQueue]).toEqual(expect.arrayContaining([statement.Resource].flat())),
      );
      const iamOnStar = statements().filter(
        (statement) =>
          statement.Effect === 'Allow' &&
          [statement.Resource].flat().includes('*') &&
          actionsOf(statement).some((action) => action.startsWith('iam:')),
      );
      expect(iamOnStar.map(actionsOf)).toEqual([['iam:GetAccountAuthorizationDetails']]);
    });

    it('holds its IAM statements only when the broker acts in the hub itself: not with this config, which lists the hub', () => {
      expect(template.Resources.BrokerHubIamPolicy).toMatchObject({
        Type: 'AWS::IAM::RolePolicy',
        Condition: 'BrokerActsInHubAccount',
        Properties: { RoleName: { Ref: 'IamRoleLambdaExecution' } },
      });
      expect((template as unknown as { Conditions: Record<string, unknown> }).Conditions.BrokerActsInHubAccount).toEqual({
        'Fn::Equals': ['false', 'true'],
      });
      expect(
        inlineStatements().filter(
          (statement) => statement.Effect === 'Allow' && actionsOf(statement).some((action) => /^iam:(?!Get|List)/.test(action)),
        ),
      ).toEqual([]);
    });

    it('may assume exactly the configured provisioner roles, and no role otherwise', () => {
      // Arrange
      const expected = provisionerRoleArns(loadBrokerConfig({ IRSA_BROKER_CONFIG: join(root, 'config/broker.yaml') }));

      // Act
      const assuming = inlineStatements().filter((statement) => actionsOf(statement).some((action) => action.startsWith('sts:')));

      // Assert
      // The example lists the hub too: its own clusters are reached through its provisioner role as well.
      expect(expected).toEqual([
        'arn:aws:iam::111122223333:role/irsa-broker/irsa-broker-provisioner',
        'arn:aws:iam::444455556666:role/irsa-broker/irsa-broker-provisioner',
      ]);
      expect(assuming).toHaveLength(1);
      expect(assuming[0]).toMatchObject({ Effect: 'Allow' });
      expect(actionsOf(assuming[0]!)).toEqual(['sts:AssumeRole']);
      expect([assuming[0]!.Resource].flat().sort()).toEqual(expected);
    });

    // parliament reads actions, not resources or conditions; it runs over each shape the role can take.
    // The role holds no iam:CreatePolicyVersion in either (a drifted policy is recreated instead).
    it('passes parliament with no privilege-escalation finding as deployed with spoke accounts (this config: sts:AssumeRole, no IAM write)', () => {
      const findings = parliamentFindings(root, inlineStatements());
      // CREDENTIALS_EXPOSURE "sts:AssumeRole": the hub acts in every account through provisioner roles,
      // exactly the configured ARNs (see above).
      const explained = (finding: ParliamentFinding) =>
        finding.issue === 'CREDENTIALS_EXPOSURE' && (finding.location.actions ?? []).every((action) => action === 'sts:assumerole');
      expect(findings.filter((finding) => !explained(finding))).toEqual([]);
    });

    it('passes parliament with no privilege-escalation finding when it acts in its one account itself (IAM writes, no sts:AssumeRole)', () => {
      const singleAccount = [
        ...inlineStatements().filter((statement) => !actionsOf(statement).includes('sts:AssumeRole')),
        ...hubIamStatements(),
      ];
      const findings = parliamentFindings(root, singleAccount);
      // PERMISSIONS_MANAGEMENT_ACTIONS: creating fenced roles and policies is what the broker is for.
      expect(findings.filter((finding) => finding.issue !== 'PERMISSIONS_MANAGEMENT_ACTIONS')).toEqual([]);
    });
  });
});
