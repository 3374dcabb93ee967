import type { SlackJob } from '../domain/jobs';
import type {
  AccessProber,
  AccountSessions,
  ClusterDirectory,
  FailedInvocations,
  JobQueue,
  IamGateway,
  ServiceAccountApplier,
  ServiceAccountTokens,
} from '../ports';
import type { AccessRequestDeps } from './accessRequestDeps';

/** What provisioning, revocation, expiry and reconciliation need beyond the request store. */
export interface ProvisioningDeps extends AccessRequestDeps {
  /** Each cluster's account session: every IAM, EKS and token call for a cluster goes through it. */
  accounts: AccountSessions;
  /** The hub account's IAM, until every use case asks `accounts` for the cluster's session. */
  iam: IamGateway;
  /** The hub account's EKS directory, likewise. */
  clusters: ClusterDirectory;
  /** OIDC provider checks of this cold start by provider ARN; concurrent grants share one check. */
  knownOidcProviders: Map<string, Promise<void>>;
  /** Loaded on first use: only grants delivered by `apply` need a Kubernetes client. */
  serviceAccounts: () => Promise<ServiceAccountApplier>;
  /** Loaded on first use, like serviceAccounts: verification asks the cluster for a ServiceAccount token, then AWS as the role. */
  verifier: () => Promise<{ tokens: ServiceAccountTokens; prober: AccessProber }>;
  /** Where Lambda puts provisioning and Slack invocations it gave up on; absent where there is none (local runs). */
  failedInvocations?: FailedInvocations;
  /** The Slack worker's queue, where Slack is configured: the sweep sends a lost notification once more. */
  slackJobs?: JobQueue<SlackJob>;
}
