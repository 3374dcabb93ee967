import * as z from 'zod';
import { NotFoundError } from '../domain/errors';
import { ClusterNameSchema, NamespaceNameSchema, ServiceAccountNameSchema } from '../domain/names';
import { parseInput } from '../domain/parseInput';
import { PolicyStatementSchema } from '../domain/policyDocument';
import { RequestStatusSchema } from '../domain/requestLifecycle';
import {
  attachmentsOf,
  EffectivePermissionsSchema,
  WorkloadBindingSchema,
  WorkloadGrantSchema,
  workloadKeyOf,
  WorkloadRecordSchema,
  type WorkloadRecord,
} from '../domain/workload';
import { findApprovalRule, type ApprovalRule } from '../domain/approvalRules';
import type { BrokerConfig } from '../domain/brokerConfig';
import type { CallerIdentity } from '../domain/identity';
import { canReadWorkload } from '../domain/readAccess';
import type { AccessRequestStore, Page, WorkloadStore } from '../ports';

/** One grant on a workload, as readers see it. */
export const WorkloadGrantViewSchema = WorkloadGrantSchema.extend({
  requestStatus: RequestStatusSchema.optional(),
  expiresAt: z.string().optional(),
  statements: z.array(PolicyStatementSchema).meta({ description: "The statements of the grant's own policy." }),
}).meta({ id: 'WorkloadGrantView' });

/** A workload: its role, trust, binding, grants with their expiry, and the union of their permissions. */
export const WorkloadViewSchema = WorkloadRecordSchema.omit({ lease: true, version: true, grants: true })
  .extend({
    binding: WorkloadBindingSchema.optional(),
    grants: z.array(WorkloadGrantViewSchema),
    attachedPolicyArns: z.array(z.string()),
    effectivePermissions: EffectivePermissionsSchema,
  })
  .meta({ id: 'WorkloadView' });
export type WorkloadView = z.infer<typeof WorkloadViewSchema>;

/** A workload in a list: without the per-grant reads. */
export const WorkloadSummarySchema = WorkloadRecordSchema.omit({ lease: true, version: true }).meta({ id: 'WorkloadSummary' });
export type WorkloadSummary = z.infer<typeof WorkloadSummarySchema>;

export const ListWorkloadsQuerySchema = z
  .object({
    cluster: ClusterNameSchema.optional(),
    namespace: NamespaceNameSchema.optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(2048).optional(),
  })
  .strict()
  .meta({ id: 'ListWorkloadsQuery' });

export const WorkloadPathSchema = z.object({
  cluster: ClusterNameSchema,
  namespace: NamespaceNameSchema,
  serviceAccount: ServiceAccountNameSchema,
});

interface ReadDeps {
  store: AccessRequestStore;
  workloads: WorkloadStore;
  config: BrokerConfig;
}

/** The rule governing a namespace, if any still does. */
export function governingRule(config: BrokerConfig, cluster: string, namespace: string): ApprovalRule | undefined {
  try {
    return findApprovalRule(config.approvalRules, cluster, namespace);
  } catch {
    return undefined;
  }
}

const summaryOf = ({ lease: _lease, version: _version, ...summary }: WorkloadRecord): WorkloadSummary => summary;

/** Workloads with grants, filtered by cluster and namespace, a page at a time. */
export async function listWorkloads(query: unknown, caller: CallerIdentity, deps: ReadDeps): Promise<Page<WorkloadSummary>> {
  const { limit, cursor, ...filter } = parseInput(ListWorkloadsQuerySchema, query ?? {}, 'query');
  const page = await deps.workloads.list(filter, { limit, cursor });
  // Lists show what the caller may read, judged by the namespace's rule (a page may hold fewer than `limit`).
  const readable = page.items.filter((workload) =>
    canReadWorkload(caller, governingRule(deps.config, workload.cluster, workload.namespace), [], deps.config.identity),
  );
  return { items: readable.map(summaryOf), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
}

/** One workload: role ARN, binding, each grant with its expiry and statements, and the effective permissions. */
export async function getWorkload(path: unknown, caller: CallerIdentity, deps: ReadDeps): Promise<WorkloadView> {
  const parsed = WorkloadPathSchema.safeParse(path);
  const key = parsed.success ? workloadKeyOf(parsed.data.cluster, parsed.data.namespace, parsed.data.serviceAccount) : undefined;
  const workload = key && (await deps.workloads.get(key));
  if (!workload) throw new NotFoundError('WORKLOAD_NOT_FOUND', `no workload ${key ?? 'with that name'} has grants`);
  const records = await Promise.all(workload.grants.map((grant) => deps.store.get(grant.requestId)));
  const requesters = records.flatMap((record) => (record ? [record.requester] : []));
  if (!canReadWorkload(caller, governingRule(deps.config, workload.cluster, workload.namespace), requesters, deps.config.identity)) {
    throw new NotFoundError('WORKLOAD_NOT_FOUND', `no workload ${key} has grants`);
  }
  const grants = await Promise.all(
    workload.grants.map(async (grant, index) => {
      const record = records[index];
      return {
        ...grant,
        requestStatus: record?.status,
        expiresAt: record?.expiresAt,
        statements: record?.plan.permissionPolicy?.document.Statement ?? [],
      };
    }),
  );
  const summary = summaryOf(workload);
  return {
    ...summary,
    grants,
    attachedPolicyArns: attachmentsOf(workload.grants),
    effectivePermissions: {
      statements: grants.flatMap((grant) => grant.statements),
      managedPolicyArns: [...new Set(workload.grants.flatMap((grant) => grant.managedPolicyArns))].sort(),
    },
  };
}
