import * as z from 'zod';
import type { WorkloadEvent } from '../domain/auditTrail';
import { ClusterNameSchema, NamespaceNameSchema, ServiceAccountNameSchema } from '../domain/names';
import { parseInput } from '../domain/parseInput';
import { workloadKeyOf } from '../domain/workload';
import type { Page } from '../ports';
import type { AccessRequestDeps } from './accessRequestDeps';
import { EventsQuerySchema } from './getAccessRequest';

/** The workload a history belongs to, as the path names it. */
export const WorkloadPathSchema = z
  .object({ cluster: ClusterNameSchema, namespace: NamespaceNameSchema, serviceAccount: ServiceAccountNameSchema })
  .strict();

/**
 * A page of a workload's history across all its requests, oldest first. A workload nobody asked for
 * has an empty history, not a 404: the history of a name is a fact whether or not it has grants.
 */
export function getWorkloadEvents(path: unknown, query: unknown, deps: Pick<AccessRequestDeps, 'store'>): Promise<Page<WorkloadEvent>> {
  const workload = parseInput(WorkloadPathSchema, path ?? {}, 'path');
  const page = parseInput(EventsQuerySchema, query ?? {}, 'query');
  return deps.store.workloadEvents(workloadKeyOf(workload.cluster, workload.namespace, workload.serviceAccount), page);
}
