import { EKSClient, type EKSClientConfig } from '@aws-sdk/client-eks';
import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, Pluggable } from '@smithy/types';
import { accountAccess, hubAccountOf, type AccountAccess } from '../../domain/accounts';
import type { BrokerConfig, ClusterConfig } from '../../domain/brokerConfig';
import type { BrokerError } from '../../domain/errors';
import type { AccountSession, AccountSessions } from '../../ports';
import { EksClusterDirectory, type ClusterInfoCache } from './eksClusterDirectory';
import { SdkIamGateway } from './iamGateway';
import { clientOptions } from '../clientBudgets';
import { FailureClass, translateAwsError } from '../dependencyFailures';

/**
 * Role chaining (the Lambda's role session assuming another role) caps sessions at one hour, so
 * that is what is asked for; they are renewed five minutes before they end, as the SDK's own
 * clients renew theirs, so no call starts with credentials about to expire.
 */
const SESSION_SECONDS = 3600;
const RENEW_BEFORE_MS = 5 * 60_000;
/** Sessions are per request; a reconcile pass visits many. Bounded so a warm container does not grow without end. */
const MAX_CACHED_SESSIONS = 200;
/** STS's RoleSessionName: 2 to 64 of these characters. */
const SESSION_NAME_CHARACTER = /[^\w+=,.@-]/g;
const SESSION_NAME_MAX = 64;

/** The RoleSessionName for a request or grant id: `irsa-broker-<id>`, cut and cleaned to what STS accepts. */
export function sessionNameFor(sessionId: string): string {
  return `irsa-broker-${sessionId}`.replace(SESSION_NAME_CHARACTER, '-').slice(0, SESSION_NAME_MAX);
}

/**
 * A provider that keeps what it got until five minutes before it expires; concurrent callers share
 * one renewal, and a failure is not kept, so the next call tries again.
 */
export function renewingCredentials(
  provider: AwsCredentialIdentityProvider,
  now: () => Date = () => new Date(),
): AwsCredentialIdentityProvider {
  let current: Promise<AwsCredentialIdentity> | undefined;
  const renew = () => {
    const next = provider();
    current = next;
    next.catch(() => {
      if (current === next) current = undefined;
    });
    return next;
  };
  return async () => {
    const seen = current;
    if (!seen) return renew();
    const held = await seen.catch(() => undefined);
    if (held && (!held.expiration || held.expiration.getTime() - now().getTime() > RENEW_BEFORE_MS)) return held;
    // Another caller may have started the renewal while this one waited.
    return current && current !== seen ? current : renew();
  };
}

export interface StsAccountSessionsOptions {
  config: Pick<BrokerConfig, 'clusters' | 'hubAccountId' | 'accounts' | 'rolePath'>;
  /**
   * The broker's own credentials: they act in the hub's account and assume every provisioner role.
   * Default: the SDK's default chain (the Lambda's role).
   */
  hubCredentials?: AwsCredentialIdentityProvider;
  /** Merged into every client made here, STS's included (tests point them all at moto). */
  clientConfig?: { endpoint?: string; maxAttempts?: number };
  makeIamClient?: (config: IAMClientConfig) => IAMClient;
  makeEksClient?: (config: EKSClientConfig) => EKSClient;
  /** Middleware for the STS client that assumes the roles (tests count its calls). */
  stsPlugins?: Pluggable<object, object>[];
  now?: () => Date;
}

/**
 * Account sessions through STS: the hub's own credentials in the hub's account, an assumed
 * provisioner role everywhere else (AssumeRole by the SDK's `fromTemporaryCredentials`). A session
 * is per account and request id, because the session name is what the spoke's CloudTrail shows;
 * each holds its own IAM and EKS clients, while DescribeCluster answers are shared per account.
 */
export class StsAccountSessions implements AccountSessions {
  private readonly sessions = new Map<string, Promise<AccountSession>>();
  private readonly clusterInfo = new Map<string, ClusterInfoCache>();
  private readonly hubCredentials: AwsCredentialIdentityProvider;
  private hub?: AccountSession;

  constructor(private readonly options: StsAccountSessionsOptions) {
    this.hubCredentials = options.hubCredentials ?? defaultChain();
  }

  /** The broker's own credentials in the hub's account; what `ProvisioningDeps.iam`/`clusters` are until every use case asks for a session. */
  hubSession(region?: string): AccountSession {
    this.hub ??= this.makeSession({ accountId: hubAccountOf(this.options.config), kind: 'hub' }, this.hubCredentials, region);
    return this.hub;
  }

  forCluster(cluster: ClusterConfig, sessionId: string): Promise<AccountSession> {
    const access = accountAccess(this.options.config, cluster.accountId);
    if (access.kind === 'hub') return Promise.resolve(this.hubSession(cluster.region));
    const sessionName = sessionNameFor(sessionId);
    const key = `${access.accountId}|${access.roleArn}|${sessionName}|${cluster.region}`;
    const cached = this.sessions.get(key);
    if (cached) {
      // Map order is insertion order: moving a hit to the end makes the eviction below least-recently-used.
      this.sessions.delete(key);
      this.sessions.set(key, cached);
      return cached;
    }
    const session = this.assume(access, sessionName, cluster);
    session.catch(() => this.sessions.delete(key));
    this.sessions.set(key, session);
    if (this.sessions.size > MAX_CACHED_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    return session;
  }

  /** Assumes the role at once, so a role that cannot be assumed fails the grant before its first call. */
  private async assume(access: Extract<AccountAccess, { kind: 'provisioner' }>, sessionName: string, cluster: ClusterConfig) {
    // Loaded on the first spoke: a deployment with clusters in the hub's account only never pays for it.
    const { fromTemporaryCredentials } = await import('@aws-sdk/credential-providers');
    const credentials = renewingCredentials(
      fromTemporaryCredentials({
        masterCredentials: this.hubCredentials,
        params: {
          RoleArn: access.roleArn,
          RoleSessionName: sessionName,
          DurationSeconds: SESSION_SECONDS,
          ...(access.externalId ? { ExternalId: access.externalId } : {}),
        },
        // The cluster's region: its regional STS endpoint is in the clusters' partition.
        clientConfig: { region: cluster.region, ...clientOptions(), ...this.options.clientConfig },
        clientPlugins: this.options.stsPlugins,
      }),
      this.options.now,
    );
    try {
      await credentials();
    } catch (error) {
      throw unassumable(access, error);
    }
    return this.makeSession(access, credentials, cluster.region);
  }

  private makeSession(access: AccountAccess, credentials: AwsCredentialIdentityProvider, region?: string): AccountSession {
    const {
      clientConfig = {},
      makeIamClient = (config) => new IAMClient(config),
      makeEksClient = (config) => new EKSClient(config),
    } = this.options;
    let cache = this.clusterInfo.get(access.accountId);
    if (!cache) {
      cache = new Map();
      this.clusterInfo.set(access.accountId, cache);
    }
    return {
      accountId: access.accountId,
      ...(access.kind === 'provisioner' ? { roleArn: access.roleArn } : {}),
      // IAM is global; any region of the partition reaches its endpoint. Adaptive retries: see SdkIamGateway.
      iam: new SdkIamGateway(makeIamClient({ region, credentials, retryMode: 'adaptive', ...clientOptions(), ...clientConfig })),
      clusters: new EksClusterDirectory(
        (eksRegion) => makeEksClient({ region: eksRegion, credentials, ...clientOptions(), ...clientConfig }),
        cache,
      ),
      credentials,
    };
  }
}

/**
 * The SDK's default credential chain, loaded on first use: most cold starts never sign anything
 * themselves (the SDK clients resolve their own credentials), so they need not load the providers.
 */
function defaultChain(): AwsCredentialIdentityProvider {
  let chain: Promise<AwsCredentialIdentityProvider> | undefined;
  const provider: AwsCredentialIdentityProvider = async (properties) => {
    chain ??= import('@aws-sdk/credential-providers').then(({ fromNodeProviderChain }) => renewingCredentials(fromNodeProviderChain()));
    return (await chain)(properties);
  };
  return provider;
}

/**
 * Why a provisioner role could not be assumed, naming account and role: a broken spoke says which
 * one to fix. STS not answering (throttling, timeouts, 5xx, as the SDK classifies them) is
 * STS_UNAVAILABLE, a 503; any refusal (AccessDenied: the role is missing, does not trust the broker
 * or expects another external id) is PROVISIONER_ROLE_UNASSUMABLE, a 502 that no retry fixes.
 */
function unassumable(access: Extract<AccountAccess, { kind: 'provisioner' }>, error: unknown): BrokerError {
  return translateAwsError(error, {
    code: (failure) => (failure.class === FailureClass.Retryable ? 'STS_UNAVAILABLE' : 'PROVISIONER_ROLE_UNASSUMABLE'),
    message: (failure) =>
      failure.class === FailureClass.Retryable
        ? `STS did not answer for the provisioner role ${access.roleArn} of account ${access.accountId}: ${failure.name}: ${failure.message}`
        : `the broker cannot assume the provisioner role ${access.roleArn} of account ${access.accountId} (${failure.name}: ${failure.message}); ` +
          `check that the role exists, trusts the broker's role and expects the configured external id (deploy/spoke-account.yaml), ` +
          `or set accounts.${access.accountId} in the config`,
    details: { accountId: access.accountId, roleArn: access.roleArn },
    refused: 'broker',
  });
}
