import type { ClusterConfig } from './domain/brokerConfig';
import type { AccessRequestRecord, RequestStatus } from './domain/requestLifecycle';

/** Where a cluster's OIDC issuer URL comes from: config, or EKS DescribeCluster. */
export interface ClusterIssuerSource {
  getIssuerUrl(cluster: ClusterConfig): Promise<string>;
}

/** Filters of the access-request list; all given ones must match. */
export interface AccessRequestFilter {
  status?: RequestStatus;
  cluster?: string;
  namespace?: string;
  requester?: string;
}

export interface Page<Item> {
  items: Item[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
}

/** Durable access requests. Every write is conditional, so racing writers produce one winner. */
export interface AccessRequestStore {
  /** Stores a new request; fails if the id exists. */
  create(record: AccessRequestRecord): Promise<void>;
  get(id: string): Promise<AccessRequestRecord | undefined>;
  /** Replaces the request if it is still at `expectedVersion`; otherwise throws a CONCURRENT_UPDATE conflict. */
  replace(record: AccessRequestRecord, expectedVersion: number): Promise<void>;
  /** Newest first. */
  list(filter: AccessRequestFilter, page: { limit: number; cursor?: string }): Promise<Page<AccessRequestRecord>>;
}

export interface Clock {
  now(): Date;
}

export interface IdSource {
  newId(): string;
}
