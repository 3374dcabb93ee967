import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateClusterCommand, DescribeClusterCommand, EKSClient, ListClustersCommand } from '@aws-sdk/client-eks';
import {
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListOpenIDConnectProvidersCommand,
  ListRoleTagsCommand,
  TagRoleCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { join } from 'node:path';
import { connectMoto } from '../harness/moto/setup.mjs';

const ACCOUNT = '123456789012'; // moto's default account
const ISSUER_HOST = (cluster: string) => `oidc.harness.local/id/${cluster}`;

let moto: Awaited<ReturnType<typeof connectMoto>>;
let iam: IAMClient;
let sts: STSClient;
let eks: EKSClient;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  moto = await connectMoto(join(__dirname, '../..'));
  const config = { region: 'eu-west-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  [iam, sts, eks, dynamo] = [new IAMClient(config), new STSClient(config), new EKSClient(config), new DynamoDBClient(config)];
}, 180_000);
afterAll(async () => {
  for (const client of [iam, sts, eks, dynamo]) client?.destroy();
  await moto?.stop();
});
// The reset is server-wide, which is safe only while integration files share the server one at a time.
beforeEach(() => moto.reset());

const permissionPolicy = (bucket: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/*` }] });

const webIdentityTrust = (providerArn: string, issuerHost: string, subject: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Federated: providerArn },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { [`${issuerHost}:sub`]: subject, [`${issuerHost}:aud`]: 'sts.amazonaws.com' } },
    },
  ],
});

async function createOidcProvider(cluster: string) {
  const { OpenIDConnectProviderArn } = await iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: `https://${ISSUER_HOST(cluster)}`,
      ClientIDList: ['sts.amazonaws.com'],
      ThumbprintList: ['9e99a48a9960b14926bb7f3b02e22da2b0ab7280'],
    }),
  );
  return OpenIDConnectProviderArn!;
}

describe('the moto harness', () => {
  it('creates an OIDC provider, a policy and a role whose trust policy reads back as written', async () => {
    const providerArn = await createOidcProvider('alpha');
    const trust = webIdentityTrust(providerArn, ISSUER_HOST('alpha'), 'system:serviceaccount:payments:exporter');
    const { Policy } = await iam.send(new CreatePolicyCommand({ PolicyName: 'exporter', PolicyDocument: permissionPolicy('invoices') }));
    await iam.send(new CreateRoleCommand({ RoleName: 'exporter', AssumeRolePolicyDocument: JSON.stringify(trust) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'exporter', PolicyArn: Policy!.Arn }));

    const { Role } = await iam.send(new GetRoleCommand({ RoleName: 'exporter' }));
    const { AttachedPolicies } = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'exporter' }));

    expect(providerArn).toBe(`arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.harness.local/id/alpha`);
    // GetRole returns the trust policy URL-encoded, as AWS does.
    expect(JSON.parse(decodeURIComponent(Role!.AssumeRolePolicyDocument!))).toEqual(trust);
    expect(AttachedPolicies).toEqual([{ PolicyName: 'exporter', PolicyArn: Policy!.Arn }]);
  });

  it('answers GetCallerIdentity for the dummy access key', async () => {
    const identity = await sts.send(new GetCallerIdentityCommand({}));

    expect(identity).toMatchObject({ Account: ACCOUNT, Arn: `arn:aws:sts::${ACCOUNT}:user/moto` });
  });

  it('describes each cluster with the harness endpoint, CA data and its own issuer', async () => {
    for (const name of ['alpha', 'beta']) {
      await eks.send(new CreateClusterCommand({ name, roleArn: `arn:aws:iam::${ACCOUNT}:role/eks`, resourcesVpcConfig: {} }));
    }

    const { cluster } = await eks.send(new DescribeClusterCommand({ name: 'beta' }));

    expect(cluster).toMatchObject({
      endpoint: moto.eksEnv.MOTO_EKS_ENDPOINT,
      certificateAuthority: { data: moto.eksEnv.MOTO_EKS_CA_DATA },
      identity: { oidc: { issuer: moto.eksEnv.MOTO_EKS_ISSUER_TEMPLATE.replace('{name}', 'beta') } },
    });
  });

  it('forgets every resource after a reset', async () => {
    await createOidcProvider('alpha');
    await iam.send(new CreateRoleCommand({ RoleName: 'exporter', AssumeRolePolicyDocument: '{}' }));
    await eks.send(new CreateClusterCommand({ name: 'alpha', roleArn: `arn:aws:iam::${ACCOUNT}:role/eks`, resourcesVpcConfig: {} }));
    await dynamo.send(
      new CreateTableCommand({
        TableName: 'requests',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );

    await moto.reset();

    await expect(iam.send(new GetRoleCommand({ RoleName: 'exporter' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    expect((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList).toEqual([]);
    expect((await eks.send(new ListClustersCommand({}))).clusters).toEqual([]);
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toEqual([]);
  });
});

// These pin what moto 5.2.5 does where provisioning code must not trust it to behave like AWS; a
// moto upgrade that changes one of them fails here first.
describe('moto IAM as the provisioning code meets it', () => {
  const trust = JSON.stringify(webIdentityTrust(`arn:aws:iam::${ACCOUNT}:oidc-provider/x`, 'x', 'system:serviceaccount:a:b'));

  it('accepts a 200-character role name that AWS would refuse (limit 64)', async () => {
    const { Role } = await iam.send(new CreateRoleCommand({ RoleName: 'r'.repeat(200), AssumeRolePolicyDocument: trust }));

    expect(Role!.RoleName).toHaveLength(200);
  });

  it('names its errors as the SDK does for AWS', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'exporter', AssumeRolePolicyDocument: trust }));

    await expect(iam.send(new GetRoleCommand({ RoleName: 'missing' }))).rejects.toMatchObject({ name: 'NoSuchEntityException' });
    await expect(iam.send(new CreateRoleCommand({ RoleName: 'exporter', AssumeRolePolicyDocument: trust }))).rejects.toMatchObject({
      name: 'EntityAlreadyExistsException',
      $metadata: { httpStatusCode: 409 },
    });
  });

  it('deletes an attached policy, leaving a dangling attachment, where AWS answers DeleteConflict', async () => {
    const { Policy } = await iam.send(new CreatePolicyCommand({ PolicyName: 'exporter', PolicyDocument: permissionPolicy('a') }));
    await iam.send(new CreateRoleCommand({ RoleName: 'exporter', AssumeRolePolicyDocument: trust }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: 'exporter', PolicyArn: Policy!.Arn }));
    const { PolicyRoles } = await iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: Policy!.Arn }));

    await iam.send(new DeletePolicyCommand({ PolicyArn: Policy!.Arn }));

    expect(PolicyRoles).toEqual([expect.objectContaining({ RoleName: 'exporter' })]);
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: 'exporter' }))).AttachedPolicies).toHaveLength(1);
  });

  it('keeps five policy versions at most and returns their documents unencoded', async () => {
    const { Policy } = await iam.send(new CreatePolicyCommand({ PolicyName: 'exporter', PolicyDocument: permissionPolicy('v1') }));
    for (const bucket of ['v2', 'v3', 'v4', 'v5']) {
      await iam.send(
        new CreatePolicyVersionCommand({ PolicyArn: Policy!.Arn, PolicyDocument: permissionPolicy(bucket), SetAsDefault: true }),
      );
    }

    // The SDK classes LimitExceededException as throttling and retries it: prune before creating.
    await expect(
      iam.send(new CreatePolicyVersionCommand({ PolicyArn: Policy!.Arn, PolicyDocument: permissionPolicy('v6'), SetAsDefault: true })),
    ).rejects.toMatchObject({ name: 'LimitExceededException', $metadata: { attempts: 3 } });
    // AWS URL-encodes this Document as it does the trust policy; moto does not, so decode tolerantly.
    const { PolicyVersion } = await iam.send(new GetPolicyVersionCommand({ PolicyArn: Policy!.Arn, VersionId: 'v5' }));
    expect(PolicyVersion).toMatchObject({ IsDefaultVersion: true, Document: permissionPolicy('v5') });
  });

  it('validates the trust policy in UpdateAssumeRolePolicy but not in CreateRole', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'exporter', AssumeRolePolicyDocument: 'not json' }));

    await expect(iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'exporter', PolicyDocument: 'not json' }))).rejects.toMatchObject({
      name: 'MalformedPolicyDocumentException',
    });
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: 'exporter', PolicyDocument: trust }));
    expect(decodeURIComponent((await iam.send(new GetRoleCommand({ RoleName: 'exporter' }))).Role!.AssumeRolePolicyDocument!)).toBe(trust);
  });

  it('overwrites a tag key in TagRole and lists tags in ListRoleTags', async () => {
    await iam.send(new CreateRoleCommand({ RoleName: 'exporter', AssumeRolePolicyDocument: trust, Tags: [{ Key: 'owner', Value: 'a' }] }));

    await iam.send(
      new TagRoleCommand({
        RoleName: 'exporter',
        Tags: [
          { Key: 'owner', Value: 'b' },
          { Key: 'managed-by', Value: 'irsa-broker' },
        ],
      }),
    );

    const { Tags } = await iam.send(new ListRoleTagsCommand({ RoleName: 'exporter' }));
    expect(Tags).toHaveLength(2);
    expect(Tags).toEqual(
      expect.arrayContaining([
        { Key: 'owner', Value: 'b' },
        { Key: 'managed-by', Value: 'irsa-broker' },
      ]),
    );
  });
});
