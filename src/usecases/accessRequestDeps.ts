import type { BrokerConfig } from '../domain/brokerConfig';
import type { AccessRequestStore, ClusterIssuerSource, Clock, IdSource, ProvisioningQueue } from '../ports';

/** What the access-request use cases need; handlers build it once per cold start. */
export interface AccessRequestDeps {
  config: BrokerConfig;
  store: AccessRequestStore;
  clock: Clock;
  ids: IdSource;
  issuers: ClusterIssuerSource;
  serviceAccountTemplate: string;
  /** Where approved requests go when config enables provisioning. */
  queue: ProvisioningQueue;
}
