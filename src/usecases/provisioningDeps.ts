import type { ClusterDirectory, IamGateway } from '../ports';
import type { AccessRequestDeps } from './accessRequestDeps';

/** What provisioning, revocation, expiry and reconciliation need beyond the request store. */
export interface ProvisioningDeps extends AccessRequestDeps {
  iam: IamGateway;
  clusters: ClusterDirectory;
  /** OIDC provider checks of this cold start by provider ARN; concurrent grants share one check. */
  knownOidcProviders: Map<string, Promise<void>>;
}
