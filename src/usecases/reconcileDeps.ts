import type { ReconcileCursorStore, ReconcileQueue } from '../ports';
import type { ProvisioningDeps } from './provisioningDeps';

/** What reconciliation needs beyond provisioning: where each account's cycle stands, and the per-account queue. */
export interface ReconcileDeps extends ProvisioningDeps {
  cursors: ReconcileCursorStore;
  reconcileQueue: ReconcileQueue;
}
