import type { ClusterDirectory, IamGateway } from '../ports';
import type { AccessRequestDeps } from './accessRequestDeps';

/** What provisioning, revocation, expiry and reconciliation need beyond the request store. */
export interface ProvisioningDeps extends AccessRequestDeps {
  iam: IamGateway;
  clusters: ClusterDirectory;
  /** OIDC provider ARNs already seen to exist in this cold start. */
  knownOidcProviders: Set<string>;
}
