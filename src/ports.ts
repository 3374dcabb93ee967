import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { AuthorizationDetails } from './domain/accountSnapshot';
import type { BucketFacts } from './domain/bucketFacts';
import type { ClusterConfig } from './domain/brokerConfig';
import type { ProvisionJob, ReconcileJob } from './domain/jobs';
import type { Tag } from './domain/makeTags';
import type { PolicyDocument } from './domain/policyDocument';
import type { ReconcileCursor } from './domain/reconcileCursor';
import type { SlackMessage } from './domain/slackMessages';
import type { S3Probe } from './domain/verification';
import type { WorkloadEvent } from './domain/auditTrail';
import type { AccessRequestRecord, AuditEvent, RequestStatus } from './domain/requestLifecycle';
import type { WorkloadRecord } from './domain/workload';

/** Where a cluster's OIDC issuer URL comes from: config, or EKS DescribeCluster. */
export interface ClusterIssuerSource {
  getIssuerUrl(cluster: ClusterConfig): Promise<string>;
}

/** Reads S3 buckets before granting: whether each exists, where, whose it is, how it is encrypted. */
export interface BucketInspector {
  /**
   * `expectedOwners` are tried in order as ExpectedBucketOwner; the first S3 accepts owns the bucket.
   * The bucket policy is read only for a bucket outside the first (the cluster's) account. Never
   * throws for AWS failures: they come back as facts (missing, owner not expected, unchecked).
   */
  inspect(bucket: string, expectedOwners: readonly string[], cluster: ClusterConfig): Promise<BucketFacts>;
}

/** Filters of the access-request list; all given ones must match. */
export interface AccessRequestFilter {
  status?: RequestStatus;
  cluster?: string;
  namespace?: string;
  /** Only with cluster and namespace: one workload's requests. */
  serviceAccount?: string;
  requester?: string;
}

export interface Page<Item> {
  items: Item[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
}

/** Which page of a list: at most `limit` items, after the opaque `cursor` of the previous page. */
export interface PageRequest {
  limit: number;
  cursor?: string;
}

/**
 * Durable access requests. Every write is conditional, so racing writers produce one winner. Audit
 * events are kept apart, one append-only entry each: a record read back holds only the events of its
 * latest write (see auditTrail.ts), and the whole trail is read a page at a time.
 */
export interface AccessRequestStore {
  /** Stores a new request; fails if the id exists. */
  create(record: AccessRequestRecord): Promise<void>;
  get(id: string): Promise<AccessRequestRecord | undefined>;
  /**
   * Replaces the request if it is still at `expectedVersion`; otherwise throws a CONCURRENT_UPDATE
   * conflict. Events with seq above `record.eventCount` are the ones this write adds.
   */
  replace(record: AccessRequestRecord, expectedVersion: number): Promise<void>;
  /** Newest first. */
  list(filter: AccessRequestFilter, page: PageRequest): Promise<Page<AccessRequestRecord>>;
  /** The request's committed audit trail, oldest first; undefined when there is no such request. */
  events(id: string, page: PageRequest): Promise<Page<AuditEvent> | undefined>;
  /** A workload's history (`<cluster>/<namespace>/<serviceAccount>`) across its requests, oldest first. */
  workloadEvents(workloadKey: string, page: PageRequest): Promise<Page<WorkloadEvent>>;
}

/** Filters of the workload list; all given ones must match. */
export interface WorkloadFilter {
  cluster?: string;
  namespace?: string;
}

/**
 * Workloads (one item each, in the same table). Every write is conditional on `version`, so changes
 * to one workload's role are serialized: racing writers produce one winner and a CONCURRENT_UPDATE.
 */
export interface WorkloadStore {
  get(key: string): Promise<WorkloadRecord | undefined>;
  /** Creates the workload (expectedVersion undefined: it must not exist) or replaces it at expectedVersion. */
  put(record: WorkloadRecord, expectedVersion: number | undefined): Promise<void>;
  /** Deletes the workload if it is still at expectedVersion. */
  delete(key: string, expectedVersion: number): Promise<void>;
  list(filter: WorkloadFilter, page: { limit: number; cursor?: string }): Promise<Page<WorkloadRecord>>;
}

export interface Clock {
  now(): Date;
}

export interface IdSource {
  newId(): string;
}

/** What DescribeCluster tells about a cluster. */
export interface ClusterInfo {
  issuerUrl: string;
  endpoint: string;
  certificateAuthorityData: string;
}

/** Cluster facts from EKS, cached per cold start. */
export interface ClusterDirectory {
  describeCluster(cluster: ClusterConfig): Promise<ClusterInfo>;
}

/** An IAM role as IAM reports it. */
export interface LiveRole {
  arn: string;
  trustPolicy: PolicyDocument;
  tags: Tag[];
  permissionsBoundaryArn?: string;
}

/** A customer-managed policy as IAM reports it. */
export interface LivePolicy {
  arn: string;
  tags: Tag[];
  defaultVersionId: string;
  defaultDocument: PolicyDocument;
  /** Oldest first. */
  versions: { versionId: string; isDefault: boolean }[];
}

export interface RoleSpec {
  name: string;
  path: string;
  trustPolicy: PolicyDocument;
  permissionsBoundaryArn: string;
  maxSessionDurationSeconds: number;
  tags: Tag[];
  description: string;
}

export interface PolicySpec {
  name: string;
  path: string;
  document: PolicyDocument;
  tags: Tag[];
  description: string;
}

/** Whether a create made the object or found one of the same name. */
export type CreateOutcome = 'created' | 'exists';

/**
 * The IAM calls provisioning needs. Reads return undefined for a missing object; deletes and
 * detaches of a missing object succeed, so that revoke is idempotent.
 */
export interface IamGateway {
  oidcProviderExists(arn: string): Promise<boolean>;
  createOidcProvider(issuerUrl: string, tags: Tag[]): Promise<void>;
  createPolicy(spec: PolicySpec): Promise<CreateOutcome>;
  findPolicy(arn: string): Promise<LivePolicy | undefined>;
  deletePolicyVersion(arn: string, versionId: string): Promise<void>;
  deletePolicy(arn: string): Promise<void>;
  /** Roles, users and groups the policy is attached to (IAM refuses to delete it while any remain). */
  countPolicyAttachments(arn: string): Promise<number>;
  createRole(spec: RoleSpec): Promise<CreateOutcome>;
  findRole(name: string): Promise<LiveRole | undefined>;
  updateTrustPolicy(roleName: string, document: PolicyDocument): Promise<void>;
  putPermissionsBoundary(roleName: string, boundaryArn: string): Promise<void>;
  listAttachedPolicyArns(roleName: string): Promise<string[]>;
  attachPolicy(roleName: string, policyArn: string): Promise<void>;
  detachPolicy(roleName: string, policyArn: string): Promise<void>;
  deleteRole(roleName: string): Promise<void>;
  /**
   * Every role and customer-managed policy of the account, all pages of GetAccountAuthorizationDetails
   * (filters Role and LocalManagedPolicy): a handful of calls for the whole account instead of several
   * per grant. The API has no path filter; callers keep what lies under their path.
   */
  getAuthorizationDetails(): Promise<AuthorizationDetails>;
}

/**
 * The clients for one AWS account: the hub's own credentials, or a provisioner role assumed there.
 * Every AWS call for a cluster goes through its account's session.
 */
export interface AccountSession {
  accountId: string;
  /** The provisioner role the session assumed; absent when it is the broker's own credentials. */
  roleArn?: string;
  iam: IamGateway;
  clusters: ClusterDirectory;
  /** For what signs outside these clients: the EKS token (ClusterConnection.credentials), S3 pre-flight. */
  credentials: AwsCredentialIdentityProvider;
}

/** Sessions per account, cached and renewed before they expire. */
export interface AccountSessions {
  /**
   * The session for the cluster's account. `sessionId` (the request or grant id) names an assumed
   * session, so the spoke's CloudTrail shows which grant did what. A role that cannot be assumed
   * fails here, before any write, with PROVISIONER_ROLE_UNASSUMABLE naming account and role.
   */
  forCluster(cluster: ClusterConfig, sessionId: string): Promise<AccountSession>;
}

/** Starts provisioning of an approved request without waiting for it. */
export type ProvisioningQueue = JobQueue<ProvisionJob>;

/** Hands one account's reconcile pass to the consumer (SQS, one message group per account). */
export type ReconcileQueue = JobQueue<ReconcileJob>;

/** Where each account's reconcile cycle stands (a small item in the broker's table). */
export interface ReconcileCursorStore {
  get(accountId: string): Promise<ReconcileCursor | undefined>;
  put(cursor: ReconcileCursor): Promise<void>;
}

/** How long a pass may still run; in Lambda, the invocation's remaining time less a margin. */
export interface TimeBudget {
  remainingMs(): number;
}

/** How to reach a cluster's API server. */
export interface ClusterConnection {
  name: string;
  region: string;
  partition: 'aws' | 'aws-cn' | 'aws-us-gov';
  endpoint: string;
  certificateAuthorityData: string;
  /** The cluster's account, and its session's credentials that sign the EKS token; default: the broker's own. */
  accountId?: string;
  credentials?: AwsCredentialIdentityProvider;
}

export interface ApplyOptions {
  /** The request asked to take over an existing ServiceAccount, and config allows it. */
  adopt: boolean;
  createNamespace: boolean;
  /**
   * Grant ids the broker recorded as having applied this ServiceAccount (the workload's binding, and
   * the grant applying now, for a retry after an apply whose record was lost). An existing account
   * whose request-id annotation names none of them is not the broker's, whatever its labels say.
   */
  ownerIds: string[];
}

/** Label and annotation values a ServiceAccount had before the broker set them (null: absent). */
export interface MetadataBefore {
  labels: Record<string, string | null>;
  annotations: Record<string, string | null>;
}

/** What applying found: a new ServiceAccount, one taken over (with what it had before), or the broker's own again. */
export type ApplyOutcome = { outcome: 'created' | 'updated' | 'unchanged' } | { outcome: 'adopted'; before: MetadataBefore };

/** How the broker holds a ServiceAccount it is about to let go of. */
export interface ReleaseOptions {
  ownerIds: string[];
  /** Created by the broker: deleted. Adopted: what the broker set is put back as it was. */
  ownership: 'created' | 'adopted';
  before?: MetadataBefore;
}

/** Puts ServiceAccounts into clusters and takes them out again. */
export interface ServiceAccountApplier {
  apply(cluster: ClusterConnection, manifest: Record<string, unknown>, options: ApplyOptions): Promise<ApplyOutcome>;
  /** Deletes a ServiceAccount the broker created; restores an adopted one; leaves alone one it cannot prove is its own. */
  remove(cluster: ClusterConnection, namespace: string, name: string, options: ReleaseOptions): Promise<'deleted' | 'released' | 'absent'>;
  /** Reads a ServiceAccount: undefined when absent; otherwise whether it carries one of `ownerIds`, its role, and whether it was adopted. */
  describe(cluster: ClusterConnection, namespace: string, name: string, ownerIds: string[]): Promise<ServiceAccountFacts | undefined>;
}

/** What a read of a ServiceAccount tells about the broker's hold on it. */
export interface ServiceAccountFacts {
  owned: boolean;
  roleArn?: string;
  adopted: boolean;
}

/** Tokens for a ServiceAccount, as the kubelet gets them for a pod (TokenRequest). */
export interface ServiceAccountTokens {
  /** A short-lived token for `audience`; undefined when the ServiceAccount does not exist. */
  requestToken(cluster: ClusterConnection, namespace: string, name: string, audience: string): Promise<string | undefined>;
}

/** What AWS answered to one call: allowed, or refused with its error code. */
export type ProbeAnswer = { allowed: true } | { allowed: false; code: string; message: string };

/** S3 in the credentials of an assumed role. */
export interface ProbeSession {
  /** A 404 for the probe key counts as allowed: S3 answers 403 instead when reading is not allowed. */
  run(probe: S3Probe, region: string): Promise<ProbeAnswer>;
}

/** The pod's path into AWS: its token for AssumeRoleWithWebIdentity, then S3 as the role. */
export interface AccessProber {
  assumeRole(
    roleArn: string,
    webIdentityToken: string,
    sessionName: string,
    region: string,
  ): Promise<{ session?: ProbeSession; answer: ProbeAnswer }>;
}

/** Slack's Web API, as much of it as the broker uses. */
export interface SlackGateway {
  postMessage(channel: string, message: SlackMessage): Promise<{ channel: string; ts: string }>;
  updateMessage(channel: string, ts: string, message: SlackMessage): Promise<void>;
  postEphemeral(channel: string, user: string, message: SlackMessage): Promise<void>;
  openView(triggerId: string, view: Record<string, unknown>): Promise<void>;
  userEmail(userId: string): Promise<string | undefined>;
  userIdByEmail(email: string): Promise<string | undefined>;
  /** Answers through an interaction's response_url (ephemeral, or replacing the message clicked). */
  respond(responseUrl: string, message: SlackMessage & { replaceOriginal: boolean }): Promise<void>;
}

/** Tells people about a request that was stored or changed. Failures are logged, never thrown. */
export interface Notifier {
  requestStored(record: AccessRequestRecord, isNew: boolean): Promise<void>;
}

/** Remembers what was seen, for a while: a second sighting is a replay. */
export interface ReplayGuard {
  firstSeen(key: string, ttlSeconds: number): Promise<boolean>;
}

/** Runs slow work after Slack has had its answer (Slack waits 3 seconds at most). */
export interface JobQueue<Job> {
  enqueue(job: Job): Promise<void>;
}

/** One asynchronous invocation that Lambda gave up on (its on-failure destination), as received. */
export interface FailedInvocation {
  /** What deletes it once handled. */
  receipt: string;
  /** The event the function was invoked with (a job), unparsed. */
  payload: unknown;
  /** Why Lambda gave up: RetriesExhausted, EventAgeExceeded. */
  condition?: string;
}

/** The queue Lambda sends failed asynchronous invocations to; the sweep drains it. */
export interface FailedInvocations {
  receive(max: number): Promise<FailedInvocation[]>;
  delete(receipt: string): Promise<void>;
}
