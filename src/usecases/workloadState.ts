import type { AccessRequest } from '../domain/accessRequest';
import { RequestStatus, type AccessRequestRecord } from '../domain/requestLifecycle';
import { workloadGrantOf, WorkloadGrantStatus, workloadKeyOf, type WorkloadGrant } from '../domain/workload';
import type { WorkloadState } from '../domain/workloadOutlook';
import type { AccessRequestStore, WorkloadStore } from '../ports';

type Workload = Pick<AccessRequest, 'cluster' | 'namespace' | 'serviceAccount'>;

/** The requests of one workload, read through the store's workload index. */
async function* requestsOf(workload: Workload, store: AccessRequestStore): AsyncGenerator<AccessRequestRecord> {
  let cursor: string | undefined;
  do {
    const page = await store.list(
      { cluster: workload.cluster, namespace: workload.namespace, serviceAccount: workload.serviceAccount },
      { limit: 100, cursor },
    );
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}

/** What a request on the workload holds in IAM, as the workload item would list it; undefined when nothing. */
function holdingGrant(record: AccessRequestRecord): WorkloadGrant | undefined {
  if (!record.provisioning) return undefined;
  const status = {
    [RequestStatus.Active]: WorkloadGrantStatus.Active,
    [RequestStatus.Provisioning]: WorkloadGrantStatus.Provisioning,
    [RequestStatus.Failed]: WorkloadGrantStatus.Failed,
  }[record.status as string];
  return status ? workloadGrantOf(record.id, record.plan, status) : undefined;
}

const OPEN: readonly string[] = [RequestStatus.Pending, RequestStatus.Approved, RequestStatus.Provisioning];

/**
 * Grants of a workload that may hold IAM objects, read from the requests themselves: how a workload
 * item is first filled, so that grants provisioned before workloads existed are never forgotten.
 */
export async function grantsHoldingObjects(
  workload: Workload,
  exceptId: string,
  deps: { store: AccessRequestStore },
): Promise<WorkloadGrant[]> {
  const grants: WorkloadGrant[] = [];
  for await (const record of requestsOf(workload, deps.store)) {
    const grant = record.id === exceptId ? undefined : holdingGrant(record);
    if (grant) grants.push(grant);
  }
  return grants;
}

/** The workload as a new request meets it: its item (or, before it exists, its requests) and every open request for it. */
export async function readWorkloadState(
  workload: Workload,
  deps: { store: AccessRequestStore; workloads: WorkloadStore },
): Promise<WorkloadState> {
  const key = workloadKeyOf(workload.cluster, workload.namespace, workload.serviceAccount);
  const item = await deps.workloads.get(key);
  const grants: WorkloadGrant[] = item ? [...item.grants] : [];
  const open: WorkloadState['open'] = [];
  let subject = item?.subject;
  for await (const record of requestsOf(workload, deps.store)) {
    if (OPEN.includes(record.status) && !grants.some((grant) => grant.requestId === record.id))
      open.push({ id: record.id, plan: record.plan });
    // Before its item exists, a workload is what its provisioned requests hold (grants from before workloads).
    const holding = item ? undefined : holdingGrant(record);
    if (holding && record.status !== RequestStatus.Provisioning) {
      grants.push(holding);
      subject ??= record.plan.subject;
    }
  }
  return { key, subject, grants, open };
}
