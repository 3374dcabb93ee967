import type { BrokerConfig } from '../domain/brokerConfig';
import type { AccessRequestStore, BucketInspector, ClusterIssuerSource, Clock, IdSource, ProvisioningQueue, WorkloadStore } from '../ports';

/** What the access-request use cases need; handlers build it once per cold start. */
export interface AccessRequestDeps {
  config: BrokerConfig;
  store: AccessRequestStore;
  /** Workloads: each one's role, trust, binding and grants. */
  workloads: WorkloadStore;
  clock: Clock;
  ids: IdSource;
  issuers: ClusterIssuerSource;
  /** The bucket pre-flight of S3 grants. */
  buckets: BucketInspector;
  serviceAccountTemplate: string;
  /** Where approved requests go when config enables provisioning. */
  queue: ProvisioningQueue;
}
