import { AttachRolePolicyCommand, CreatePolicyCommand, CreateRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import { AccessRequestSchema } from '../../src/domain/accessRequest';
import type { BrokerConfig, ClusterConfig } from '../../src/domain/brokerConfig';
import { makeGrantPlan } from '../../src/domain/grantPlan';
import type { CallerIdentity } from '../../src/domain/identity';
import { GrantMode, RequestStatus, submittedEvent, type AccessRequestRecord } from '../../src/domain/requestLifecycle';
import { newWorkload, workloadGrantOf, WorkloadGrantStatus } from '../../src/domain/workload';
import { kubeTemplates } from '../../src/kubeTemplates';
import type { AccessRequestStore, WorkloadStore } from '../../src/ports';

const requester: CallerIdentity = { subject: 'dev-1', groups: ['developers'], source: 'jwt' };
let serial = 0;

export interface SeedOptions {
  config: BrokerConfig;
  /** Must name its oidcIssuer: seeding reads nothing from EKS. */
  cluster: ClusterConfig;
  /** IAM in the cluster's account. */
  iam: IAMClient;
  store: AccessRequestStore;
  workloads: WorkloadStore;
  count: number;
  namespace: string;
  /** Default 1: moto answered concurrent IAM writes with an HTML 500 now and then (measured at 8 at a time). */
  concurrency?: number;
  /** The first grant's creation time; each next one a millisecond later, so their order is known. */
  from?: Date;
}

/**
 * Active provisioned grants as provisioning would leave them, made fast: the role, policy and
 * attachment go straight into IAM and the request and workload records straight into the store, with
 * no provisioning run. Returns the records in creation order.
 */
export async function seedActiveGrants(options: SeedOptions): Promise<AccessRequestRecord[]> {
  const { config, cluster, iam, count, namespace } = options;
  const from = options.from ?? new Date();
  const records: AccessRequestRecord[] = [];
  let next = 0;
  const one = async (index: number) => {
    const id = `00000000-0000-4000-9000-${String(++serial).padStart(12, '0')}`;
    const at = new Date(from.getTime() + index);
    const request = AccessRequestSchema.parse({
      cluster: cluster.name,
      namespace,
      serviceAccount: `workload-${index}`,
      grants: [{ type: 's3', bucket: 'acme-bench', prefix: `w${index}/`, level: 'read' }],
    });
    const plan = makeGrantPlan({
      request,
      cluster,
      issuerUrl: cluster.oidcIssuer!,
      config,
      serviceAccountTemplate: kubeTemplates.serviceAccount,
      requestId: id,
    });
    const policy = plan.permissionPolicy!;
    await iam.send(
      new CreatePolicyCommand({
        PolicyName: policy.name,
        Path: policy.path,
        PolicyDocument: JSON.stringify(policy.document),
        Tags: policy.tags,
      }),
    );
    await iam.send(
      new CreateRoleCommand({
        RoleName: plan.role.name,
        Path: plan.role.path,
        AssumeRolePolicyDocument: JSON.stringify(plan.role.trustPolicy),
        PermissionsBoundary: plan.role.permissionsBoundaryArn,
        MaxSessionDuration: plan.role.maxSessionDurationSeconds,
        Tags: plan.role.tags,
      }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: plan.role.name, PolicyArn: policy.arn }));
    const record: AccessRequestRecord = {
      id,
      version: 1,
      status: RequestStatus.Active,
      request,
      requester,
      ruleId: 'everyone',
      durationHours: 24,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
      pendingUntil: at.toISOString(),
      activatedAt: at.toISOString(),
      expiresAt: new Date(at.getTime() + 24 * 3_600_000).toISOString(),
      approvals: [],
      grant: { mode: GrantMode.Provisioned, note: 'seeded', roleArn: plan.role.arn, policyArn: policy.arn },
      provisioning: { policyCreated: true, roleCreated: true, attached: [policy.arn] },
      plan,
      events: [submittedEvent(requester, at)],
    };
    await options.store.create(record);
    const workload = newWorkload(plan, namespace, request.serviceAccount, at);
    await options.workloads.put({ ...workload, grants: [workloadGrantOf(id, plan, WorkloadGrantStatus.Active)] }, undefined);
    records[index] = record;
  };
  await Promise.all(
    Array.from({ length: options.concurrency ?? 1 }, async () => {
      while (next < count) await one(next++);
    }),
  );
  return records;
}
