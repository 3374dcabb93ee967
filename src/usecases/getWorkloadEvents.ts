import * as z from 'zod';
import type { WorkloadEvent } from '../domain/auditTrail';
import { ClusterNameSchema, NamespaceNameSchema, ServiceAccountNameSchema } from '../domain/names';
import { parseInput } from '../domain/parseInput';
import { NotFoundError } from '../domain/errors';
import type { CallerIdentity } from '../domain/identity';
import { canReadWorkload } from '../domain/readAccess';
import { workloadKeyOf } from '../domain/workload';
import type { Page } from '../ports';
import type { AccessRequestDeps } from './accessRequestDeps';
import { EventsQuerySchema } from './getAccessRequest';
import { governingRule } from './readWorkloads';

/** The workload a history belongs to, as the path names it. */
export const WorkloadPathSchema = z
  .object({ cluster: ClusterNameSchema, namespace: NamespaceNameSchema, serviceAccount: ServiceAccountNameSchema })
  .strict();

/**
 * A page of a workload's history across all its requests, oldest first. A workload nobody asked for
 * has an empty history, not a 404: the history of a name is a fact whether or not it has grants.
 */
export function getWorkloadEvents(
  path: unknown,
  query: unknown,
  caller: CallerIdentity,
  deps: Pick<AccessRequestDeps, 'store' | 'config'>,
): Promise<Page<WorkloadEvent>> {
  const workload = parseInput(WorkloadPathSchema, path ?? {}, 'path');
  const page = parseInput(EventsQuerySchema, query ?? {}, 'query');
  // The rule's owners and approvers and the auditors read a workload's history; anyone else finds none.
  if (!canReadWorkload(caller, governingRule(deps.config, workload.cluster, workload.namespace), [], deps.config.identity)) {
    throw new NotFoundError(
      'WORKLOAD_NOT_FOUND',
      `no history for workload ${workload.cluster}/${workload.namespace}/${workload.serviceAccount}`,
    );
  }
  return deps.store.workloadEvents(workloadKeyOf(workload.cluster, workload.namespace, workload.serviceAccount), page);
}
