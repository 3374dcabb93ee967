// Lists the IAM roles in the AWS emulator of `npm start` (AWS_ENDPOINT_URL) with their trust policy,
// permissions boundary, tags and attached policies (with the broker's own policy documents): what the
// broker created, read straight from IAM rather than through the broker.
// Usage: AWS_ENDPOINT_URL=http://127.0.0.1:3003 node scripts/emulator-roles.mjs [--path-prefix /irsa-broker/]
import './lambdaNode.mjs';
import { IAMClient, paginateGetAccountAuthorizationDetails } from '@aws-sdk/client-iam';
import { parseArgs } from 'node:util';
import { LOCAL_CREDENTIALS } from './localDynamo.mjs';

const { values } = parseArgs({ options: { 'path-prefix': { type: 'string', default: '/irsa-broker/' } } });
const endpoint = process.env.AWS_ENDPOINT_URL;
if (!endpoint) {
  console.error(
    'usage: AWS_ENDPOINT_URL=<emulator URL, as npm start prints it> node scripts/emulator-roles.mjs [--path-prefix /irsa-broker/]',
  );
  process.exit(2);
}
// An emulator takes any key; never the caller's real ones.
const iam = new IAMClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
const decode = (document) => (document ? JSON.parse(decodeURIComponent(document)) : undefined);

const roles = [];
const policies = new Map();
for await (const page of paginateGetAccountAuthorizationDetails({ client: iam }, { Filter: ['Role', 'LocalManagedPolicy'] })) {
  roles.push(...(page.RoleDetailList ?? []));
  for (const policy of page.Policies ?? []) policies.set(policy.Arn, policy);
}
const defaultDocument = (arn) => {
  const policy = policies.get(arn);
  return decode(policy?.PolicyVersionList?.find((version) => version.IsDefaultVersion)?.Document);
};
const listed = roles
  .filter((role) => role.Path?.startsWith(values['path-prefix']))
  .map((role) => ({
    arn: role.Arn,
    trustPolicy: decode(role.AssumeRolePolicyDocument),
    permissionsBoundary: role.PermissionsBoundary?.PermissionsBoundaryArn,
    tags: Object.fromEntries((role.Tags ?? []).map((tag) => [tag.Key, tag.Value])),
    attachedPolicies: (role.AttachedManagedPolicies ?? []).map(({ PolicyArn }) => ({
      arn: PolicyArn,
      ...(policies.has(PolicyArn) ? { document: defaultDocument(PolicyArn) } : {}),
    })),
  }));
console.log(JSON.stringify(listed, null, 2));
