import {
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetAccountAuthorizationDetailsCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListEntitiesForPolicyCommand,
  ListPolicyVersionsCommand,
  PutRolePermissionsBoundaryCommand,
  UpdateAssumeRolePolicyCommand,
  type GetAccountAuthorizationDetailsCommandOutput,
} from '@aws-sdk/client-iam';
import type { AuthorizationDetails, PolicyDetail, RoleDetail } from '../../domain/accountSnapshot';
import { BrokerError } from '../../domain/errors';
import type { Tag } from '../../domain/makeTags';
import type { PolicyDocument } from '../../domain/policyDocument';
import type { CreateOutcome, IamGateway, LivePolicy, LiveRole, PolicySpec, RoleSpec } from '../../ports';
import { clientOptions } from '../clientBudgets';
import { awsErrorCode, translateAwsError, type ServiceQuirks } from '../dependencyFailures';

const isNamed = (error: unknown, name: string) => (error as { name?: string } | undefined)?.name === name;
/** IAM returns documents URL-encoded; some emulators return them plain. Accept both. */
const decodeDocument = (text: string | undefined): PolicyDocument => {
  const raw = text ?? '{}';
  return JSON.parse(raw.trimStart().startsWith('{') ? raw : decodeURIComponent(raw)) as PolicyDocument;
};
/**
 * Where IAM means its errors differently from the SDK's generic lists: LimitExceeded is an account
 * quota (retrying cannot help), not a rate; ConcurrentModification and EntityTemporarilyUnmodifiable
 * clear up by themselves, as IAM's own documentation says ("wait a few minutes and submit again").
 */
const IAM_QUIRKS: ServiceQuirks = {
  deterministic: ['LimitExceededException', 'LimitExceeded'],
  retryable: ['ConcurrentModificationException', 'ConcurrentModification', 'EntityTemporarilyUnmodifiableException'],
};

const asTags = (tags: { Key?: string; Value?: string }[] | undefined): Tag[] =>
  (tags ?? []).map((tag) => ({ Key: tag.Key ?? '', Value: tag.Value ?? '' }));

type RoleItem = NonNullable<GetAccountAuthorizationDetailsCommandOutput['RoleDetailList']>[number];
type PolicyItem = NonNullable<GetAccountAuthorizationDetailsCommandOutput['Policies']>[number];

function toRoleDetail(role: RoleItem): RoleDetail {
  return {
    name: role.RoleName ?? '',
    path: role.Path ?? '/',
    arn: role.Arn ?? '',
    trustPolicy: decodeDocument(role.AssumeRolePolicyDocument),
    tags: asTags(role.Tags),
    ...(role.PermissionsBoundary?.PermissionsBoundaryArn
      ? { permissionsBoundaryArn: role.PermissionsBoundary.PermissionsBoundaryArn }
      : {}),
    attachedPolicyArns: (role.AttachedManagedPolicies ?? []).map((policy) => policy.PolicyArn ?? ''),
  };
}

/** The detail lists every version; only the default one says what the policy allows. */
function toPolicyDetail(policy: PolicyItem): PolicyDetail {
  const versions = policy.PolicyVersionList ?? [];
  const defaultVersion =
    versions.find((version) => version.IsDefaultVersion) ?? versions.find((v) => v.VersionId === policy.DefaultVersionId);
  return {
    arn: policy.Arn ?? '',
    path: policy.Path ?? '/',
    defaultVersionId: policy.DefaultVersionId ?? defaultVersion?.VersionId ?? 'v1',
    defaultDocument: decodeDocument(defaultVersion?.Document),
  };
}

/**
 * IAM through the AWS SDK. The client uses the "adaptive" retry mode: IAM's request rate per account
 * is low and shared, so beyond backing off on throttling (standard mode) the client also paces
 * itself, which keeps a burst of grants (or a reconcile pass) from starving other IAM users.
 */
export class SdkIamGateway implements IamGateway {
  constructor(private readonly client: IAMClient = new IAMClient({ retryMode: 'adaptive', ...clientOptions() })) {}

  async oidcProviderExists(arn: string): Promise<boolean> {
    return (
      (await this.find(
        () => this.client.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })),
        'GetOpenIDConnectProvider',
      )) !== undefined
    );
  }

  async createOidcProvider(issuerUrl: string, tags: Tag[]): Promise<void> {
    await this.call('CreateOpenIDConnectProvider', async () => {
      try {
        // IAM no longer needs thumbprints for EKS issuers (it trusts their public CA), so none are pinned here.
        await this.client.send(new CreateOpenIDConnectProviderCommand({ Url: issuerUrl, ClientIDList: ['sts.amazonaws.com'], Tags: tags }));
      } catch (error) {
        if (!isNamed(error, 'EntityAlreadyExistsException')) throw error;
      }
    });
  }

  createPolicy(spec: PolicySpec): Promise<CreateOutcome> {
    return this.create('CreatePolicy', () =>
      this.client.send(
        new CreatePolicyCommand({
          PolicyName: spec.name,
          Path: spec.path,
          PolicyDocument: JSON.stringify(spec.document),
          Description: spec.description,
          Tags: spec.tags,
        }),
      ),
    );
  }

  async findPolicy(arn: string): Promise<LivePolicy | undefined> {
    const policy = await this.find(() => this.client.send(new GetPolicyCommand({ PolicyArn: arn })), 'GetPolicy');
    if (!policy?.Policy) return undefined;
    const defaultVersionId = policy.Policy.DefaultVersionId ?? 'v1';
    const [version, versions] = await Promise.all([
      this.call('GetPolicyVersion', () => this.client.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: defaultVersionId }))),
      this.call('ListPolicyVersions', () => this.client.send(new ListPolicyVersionsCommand({ PolicyArn: arn }))),
    ]);
    return {
      arn,
      tags: asTags(policy.Policy.Tags),
      defaultVersionId,
      defaultDocument: decodeDocument(version.PolicyVersion?.Document),
      versions: (versions.Versions ?? [])
        .map((entry) => ({
          versionId: entry.VersionId ?? '',
          isDefault: Boolean(entry.IsDefaultVersion),
          created: entry.CreateDate?.getTime() ?? 0,
        }))
        .sort((a, b) => a.created - b.created)
        .map(({ versionId, isDefault }) => ({ versionId, isDefault })),
    };
  }

  async deletePolicyVersion(arn: string, versionId: string): Promise<void> {
    await this.find(
      () => this.client.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: versionId })),
      'DeletePolicyVersion',
    );
  }

  async deletePolicy(arn: string): Promise<void> {
    await this.find(() => this.client.send(new DeletePolicyCommand({ PolicyArn: arn })), 'DeletePolicy');
  }

  async countPolicyAttachments(arn: string): Promise<number> {
    const output = await this.find(() => this.client.send(new ListEntitiesForPolicyCommand({ PolicyArn: arn })), 'ListEntitiesForPolicy');
    return (output?.PolicyRoles?.length ?? 0) + (output?.PolicyUsers?.length ?? 0) + (output?.PolicyGroups?.length ?? 0);
  }

  createRole(spec: RoleSpec): Promise<CreateOutcome> {
    return this.create('CreateRole', () =>
      this.client.send(
        new CreateRoleCommand({
          RoleName: spec.name,
          Path: spec.path,
          AssumeRolePolicyDocument: JSON.stringify(spec.trustPolicy),
          PermissionsBoundary: spec.permissionsBoundaryArn,
          MaxSessionDuration: spec.maxSessionDurationSeconds,
          Description: spec.description,
          Tags: spec.tags,
        }),
      ),
    );
  }

  async findRole(name: string): Promise<LiveRole | undefined> {
    const output = await this.find(() => this.client.send(new GetRoleCommand({ RoleName: name })), 'GetRole');
    const role = output?.Role;
    if (!role) return undefined;
    return {
      arn: role.Arn ?? '',
      trustPolicy: decodeDocument(role.AssumeRolePolicyDocument),
      tags: asTags(role.Tags),
      permissionsBoundaryArn: role.PermissionsBoundary?.PermissionsBoundaryArn,
    };
  }

  async updateTrustPolicy(roleName: string, document: PolicyDocument): Promise<void> {
    await this.call('UpdateAssumeRolePolicy', () =>
      this.client.send(new UpdateAssumeRolePolicyCommand({ RoleName: roleName, PolicyDocument: JSON.stringify(document) })),
    );
  }

  async putPermissionsBoundary(roleName: string, boundaryArn: string): Promise<void> {
    await this.call('PutRolePermissionsBoundary', () =>
      this.client.send(new PutRolePermissionsBoundaryCommand({ RoleName: roleName, PermissionsBoundary: boundaryArn })),
    );
  }

  async listAttachedPolicyArns(roleName: string): Promise<string[]> {
    const arns: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.call('ListAttachedRolePolicies', () =>
        this.client.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker })),
      );
      arns.push(...(page.AttachedPolicies ?? []).map((policy) => policy.PolicyArn ?? ''));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return arns;
  }

  async attachPolicy(roleName: string, policyArn: string): Promise<void> {
    await this.call('AttachRolePolicy', () => this.client.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })));
  }

  async detachPolicy(roleName: string, policyArn: string): Promise<void> {
    await this.find(() => this.client.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })), 'DetachRolePolicy');
  }

  async deleteRole(roleName: string): Promise<void> {
    await this.find(() => this.client.send(new DeleteRoleCommand({ RoleName: roleName })), 'DeleteRole');
  }

  async getAuthorizationDetails(): Promise<AuthorizationDetails> {
    const details: AuthorizationDetails = { roles: [], policies: [] };
    let marker: string | undefined;
    do {
      const page = await this.call('GetAccountAuthorizationDetails', () =>
        this.client.send(
          new GetAccountAuthorizationDetailsCommand({
            Filter: ['Role', 'LocalManagedPolicy'],
            // IAM's largest page: an account of a few thousand roles is read in a few calls.
            MaxItems: 1000,
            Marker: marker,
          }),
        ),
      );
      details.roles.push(...(page.RoleDetailList ?? []).map(toRoleDetail));
      details.policies.push(...(page.Policies ?? []).map(toPolicyDetail));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker);
    return details;
  }

  private async create(operation: string, send: () => Promise<unknown>): Promise<CreateOutcome> {
    return this.call(operation, async () => {
      try {
        await send();
        return 'created' as const;
      } catch (error) {
        if (isNamed(error, 'EntityAlreadyExistsException')) return 'exists' as const;
        throw error;
      }
    });
  }

  /** A call whose NoSuchEntity answer means "not there" rather than failure. */
  private async find<Output>(send: () => Promise<Output>, operation: string): Promise<Output | undefined> {
    return this.call(operation, async () => {
      try {
        return await send();
      } catch (error) {
        if (isNamed(error, 'NoSuchEntityException')) return undefined;
        throw error;
      }
    });
  }

  /**
   * One IAM call, its failure translated: throttling, timeouts and 5xx are 503 (retry), AccessDenied
   * a 502 (the broker's permissions), and what IAM refuses in the request itself — a document it
   * will not take, a quota, invalid input — a 422, each with the AWS error name in `details.awsError`.
   */
  private async call<Output>(operation: string, send: () => Promise<Output>): Promise<Output> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof BrokerError) throw error;
      throw translateAwsError(
        error,
        {
          code: (failure) => awsErrorCode('IAM', failure.name),
          message: (failure) => `IAM ${operation} failed: ${failure.message}`,
          details: { operation },
          // IAM answers its quotas (LimitExceeded) with 409; they are refusals of the request all the same.
          refused: 'request',
        },
        IAM_QUIRKS,
      );
    }
  }
}
