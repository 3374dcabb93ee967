import { GetAccountAuthorizationDetailsCommand, type IAMClient } from '@aws-sdk/client-iam';
import { SdkIamGateway } from '../../../../src/adapters/aws/iamGateway';

const TRUST = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRoleWithWebIdentity' }] };
const DOCUMENT = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] };

/** An IAM client that answers GetAccountAuthorizationDetails from canned pages, as real IAM pages (moto does not). */
function pagedClient(pages: Record<string, unknown>[]) {
  const inputs: Record<string, unknown>[] = [];
  const client = {
    send: async (command: GetAccountAuthorizationDetailsCommand) => {
      inputs.push({ ...command.input });
      return pages[inputs.length - 1];
    },
  } as unknown as IAMClient;
  return { client, inputs };
}

describe('SdkIamGateway.getAuthorizationDetails', () => {
  it('reads every page by its Marker, asking for roles and customer-managed policies only', async () => {
    // Arrange: two pages, as IAM returns them (documents URL-encoded)
    const { client, inputs } = pagedClient([
      {
        IsTruncated: true,
        Marker: 'page-2',
        RoleDetailList: [
          {
            RoleName: 'irsa-a',
            Path: '/irsa-broker/',
            Arn: 'arn:aws:iam::111122223333:role/irsa-broker/irsa-a',
            AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(TRUST)),
            Tags: [{ Key: 'irsa-broker:managed-by', Value: 'irsa-broker' }],
            PermissionsBoundary: { PermissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/boundary' },
            AttachedManagedPolicies: [{ PolicyArn: 'arn:aws:iam::111122223333:policy/irsa-broker/irsa-a' }],
          },
        ],
        Policies: [],
      },
      {
        IsTruncated: false,
        RoleDetailList: [],
        Policies: [
          {
            Arn: 'arn:aws:iam::111122223333:policy/irsa-broker/irsa-a',
            Path: '/irsa-broker/',
            DefaultVersionId: 'v2',
            PolicyVersionList: [
              { VersionId: 'v1', IsDefaultVersion: false, Document: encodeURIComponent('{"Version":"2012-10-17","Statement":[]}') },
              { VersionId: 'v2', IsDefaultVersion: true, Document: encodeURIComponent(JSON.stringify(DOCUMENT)) },
            ],
          },
        ],
      },
    ]);

    // Act
    const details = await new SdkIamGateway(client).getAuthorizationDetails();

    // Assert
    expect(inputs).toEqual([
      { Filter: ['Role', 'LocalManagedPolicy'], MaxItems: 1000, Marker: undefined },
      { Filter: ['Role', 'LocalManagedPolicy'], MaxItems: 1000, Marker: 'page-2' },
    ]);
    expect(details.roles).toEqual([
      {
        name: 'irsa-a',
        path: '/irsa-broker/',
        arn: 'arn:aws:iam::111122223333:role/irsa-broker/irsa-a',
        trustPolicy: TRUST,
        tags: [{ Key: 'irsa-broker:managed-by', Value: 'irsa-broker' }],
        permissionsBoundaryArn: 'arn:aws:iam::111122223333:policy/boundary',
        attachedPolicyArns: ['arn:aws:iam::111122223333:policy/irsa-broker/irsa-a'],
      },
    ]);
    expect(details.policies).toEqual([
      {
        arn: 'arn:aws:iam::111122223333:policy/irsa-broker/irsa-a',
        path: '/irsa-broker/',
        defaultVersionId: 'v2',
        defaultDocument: DOCUMENT,
      },
    ]);
  });
});
