import { arns, issuerHostPath } from '../../src/domain/arns';
import type { AuthorizationDetails } from '../../src/domain/accountSnapshot';
import type { BrokerConfig, ClusterConfig } from '../../src/domain/brokerConfig';
import { BucketEncryption, BucketFactsStatus, type BucketFacts } from '../../src/domain/bucketFacts';
import {
  asCommitted,
  assertRequestItemSize,
  fromStoredRecord,
  itemSizeBytes,
  pageOfTrail,
  splitEvents,
  type WorkloadEvent,
} from '../../src/domain/auditTrail';
import { ConflictError, DependencyUnavailableError, MalformedRequestError } from '../../src/domain/errors';
import type { Tag } from '../../src/domain/makeTags';
import type { Partition } from '../../src/domain/names';
import type { PolicyDocument } from '../../src/domain/policyDocument';
import type { AccessRequestRecord, AuditEvent } from '../../src/domain/requestLifecycle';
import { workloadKeyOf, type WorkloadRecord } from '../../src/domain/workload';
import type {
  AccountSession,
  AccountSessions,
  AccessRequestFilter,
  AccessRequestStore,
  BucketInspector,
  ClusterDirectory,
  ClusterInfo,
  Clock,
  CreateOutcome,
  IamGateway,
  IdSource,
  LivePolicy,
  LiveRole,
  Page,
  PageRequest,
  WorkloadFilter,
  WorkloadStore,
  PolicySpec,
  ReconcileCursorStore,
  RoleSpec,
} from '../../src/ports';
import type { ReconcileJob } from '../../src/domain/jobs';
import type { ReconcileCursor } from '../../src/domain/reconcileCursor';
import type { ReconcileDeps } from '../../src/usecases/reconcileDeps';
import type { ProvisioningDeps } from '../../src/usecases/provisioningDeps';
import { accountAccess } from '../../src/domain/accounts';
import { serviceAccountTemplate } from './serviceAccountTemplate';
import { readTrail } from './trail';

const HOUR_MS = 3_600_000;

/** Records are copied in and out, as a real store would serialise them: callers never share objects with it. */
const copy = <Value>(value: Value): Value => structuredClone(value);

/**
 * Access requests in a map, with the store's semantics: like DynamoDB, every write is conditional (on
 * absence, or on the expected version); audit events are kept apart, so a record read back holds only
 * the events of its latest write, and the whole trail is read with `events` (pages) or `trail` (all).
 */
export class InMemoryAccessRequestStore implements AccessRequestStore {
  /** Request items as stored: a record with its latest write's events (or, seeded in the old shape, its whole trail). */
  readonly records = new Map<string, AccessRequestRecord>();
  /** Event items: request id → seq → event. */
  readonly eventItems = new Map<string, Map<number, AuditEvent>>();

  async create(record: AccessRequestRecord): Promise<void> {
    if (this.records.has(record.id)) throw new ConflictError('DUPLICATE_ID', `access request ${record.id} already exists`);
    this.commit(record);
  }

  async get(id: string): Promise<AccessRequestRecord | undefined> {
    const record = this.records.get(id);
    return record && fromStoredRecord(copy(record));
  }

  async replace(record: AccessRequestRecord, expectedVersion: number): Promise<void> {
    // The previous write's events are committed; like the real store, copy them before the conditional write.
    this.putEvents(record, splitEvents(record).committed);
    const stored = this.records.get(record.id);
    if (!stored || stored.version !== expectedVersion) {
      throw new ConflictError('CONCURRENT_UPDATE', `access request ${record.id} changed while this decision was being made`);
    }
    this.commit(record);
  }

  async list(filter: AccessRequestFilter, page: PageRequest): Promise<Page<AccessRequestRecord>> {
    const matching = [...this.records.values()]
      .filter(
        (record) =>
          (filter.status === undefined || record.status === filter.status) &&
          (filter.cluster === undefined || record.request.cluster === filter.cluster) &&
          (filter.namespace === undefined || record.request.namespace === filter.namespace) &&
          (filter.serviceAccount === undefined || record.request.serviceAccount === filter.serviceAccount) &&
          (filter.requester === undefined || record.requester.subject === filter.requester),
      )
      .sort((a, b) => (a.createdAt === b.createdAt ? b.id.localeCompare(a.id) : b.createdAt.localeCompare(a.createdAt)));
    const start = page.cursor ? Number(page.cursor) : 0;
    const end = start + page.limit;
    return {
      items: matching.slice(start, end).map((record) => fromStoredRecord(copy(record))),
      ...(end < matching.length ? { nextCursor: String(end) } : {}),
    };
  }

  async events(id: string, page: PageRequest): Promise<Page<AuditEvent> | undefined> {
    const record = await this.get(id);
    if (!record) return undefined;
    const after = page.cursor ? offsetOf(page.cursor, `events:${id}`) : 0;
    const materialized = [...(this.eventItems.get(id)?.values() ?? [])].sort((a, b) => a.seq - b.seq).filter((event) => event.seq > after);
    const { events, more } = pageOfTrail(copy(materialized), record, after, page.limit);
    const last = events.at(-1);
    return { items: events, ...(more && last ? { nextCursor: `events:${id}:${last.seq}` } : {}) };
  }

  async workloadEvents(workloadKey: string, page: PageRequest): Promise<Page<WorkloadEvent>> {
    const all = [...this.eventItems.entries()]
      .filter(([id]) => {
        const request = this.records.get(id)?.request;
        return request !== undefined && workloadKeyOf(request.cluster, request.namespace, request.serviceAccount) === workloadKey;
      })
      .flatMap(([requestId, events]) => [...events.values()].map((event) => ({ ...copy(event), requestId })))
      .sort((a, b) => a.at.localeCompare(b.at) || a.requestId.localeCompare(b.requestId) || a.seq - b.seq);
    const start = page.cursor ? offsetOf(page.cursor, `workload:${workloadKey}`) : 0;
    const end = start + page.limit;
    return { items: all.slice(start, end), ...(end < all.length ? { nextCursor: `workload:${workloadKey}:${end}` } : {}) };
  }

  /** The stored record, or a test failure when there is none. */
  stored(id: string): AccessRequestRecord {
    const record = this.records.get(id);
    if (!record) throw new Error(`no access request ${id} in the store`);
    return fromStoredRecord(copy(record));
  }

  /** The request's whole committed trail, oldest first, read page by page as a client would. */
  trail(id: string): Promise<AuditEvent[]> {
    return readTrail(this, id);
  }

  private commit(record: AccessRequestRecord): void {
    const stored = asCommitted(copy(record));
    assertRequestItemSize(record.id, itemSizeBytes(stored));
    this.records.set(record.id, stored);
    this.putEvents(record, splitEvents(record).added);
  }

  private putEvents(record: AccessRequestRecord, events: readonly AuditEvent[]): void {
    const items = this.eventItems.get(record.id) ?? new Map<number, AuditEvent>();
    for (const event of events) items.set(event.seq, copy(event));
    this.eventItems.set(record.id, items);
  }
}

/** The position a fake cursor holds, if it was issued for this read. */
function offsetOf(cursor: string, read: string): number {
  const offset = Number(cursor.startsWith(`${read}:`) ? cursor.slice(read.length + 1) : Number.NaN);
  if (!Number.isInteger(offset) || offset < 0) throw new MalformedRequestError('INVALID_CURSOR', 'the cursor is not one this API issued');
  return offset;
}

/** Workloads in memory, with the DynamoDB store's conditional-write semantics. */
export class InMemoryWorkloadStore implements WorkloadStore {
  readonly records = new Map<string, WorkloadRecord>();

  async get(key: string): Promise<WorkloadRecord | undefined> {
    const record = this.records.get(key);
    return record && copy(record);
  }

  async put(record: WorkloadRecord, expectedVersion: number | undefined): Promise<void> {
    const stored = this.records.get(record.key);
    if (expectedVersion === undefined ? stored !== undefined : stored?.version !== expectedVersion) {
      throw new ConflictError('CONCURRENT_UPDATE', `workload ${record.key} changed while this change was being made`);
    }
    this.records.set(record.key, copy(record));
  }

  async delete(key: string, expectedVersion: number): Promise<void> {
    if (this.records.get(key)?.version !== expectedVersion) {
      throw new ConflictError('CONCURRENT_UPDATE', `workload ${key} changed while this change was being made`);
    }
    this.records.delete(key);
  }

  async list(filter: WorkloadFilter, page: { limit: number; cursor?: string }): Promise<Page<WorkloadRecord>> {
    const matching = [...this.records.values()].filter(
      (record) =>
        (filter.cluster === undefined || record.cluster === filter.cluster) &&
        (filter.namespace === undefined || record.namespace === filter.namespace),
    );
    const start = page.cursor ? Number(page.cursor) : 0;
    const end = start + page.limit;
    return { items: matching.slice(start, end).map(copy), ...(end < matching.length ? { nextCursor: String(end) } : {}) };
  }
}

/** One call made to the fake IAM, with its arguments. */
export interface IamCall {
  method: keyof IamGateway;
  args: unknown[];
}

const IAM_READS: ReadonlySet<keyof IamGateway> = new Set<keyof IamGateway>([
  'oidcProviderExists',
  'findPolicy',
  'countPolicyAttachments',
  'findRole',
  'listAttachedPolicyArns',
  'getAuthorizationDetails',
]);

export interface FakeRole {
  name: string;
  path: string;
  arn: string;
  trustPolicy: PolicyDocument;
  tags: Tag[];
  permissionsBoundaryArn?: string;
}

export interface FakePolicyVersion {
  versionId: string;
  isDefault: boolean;
  document: PolicyDocument;
}

export interface FakePolicy {
  arn: string;
  tags: Tag[];
  /** Oldest first, as IAM lists them to the broker. */
  versions: FakePolicyVersion[];
  nextVersion: number;
}

/** IAM's answers for the mistakes the broker must not make, with the codes the SDK adapter gives them. */
const iamError = (awsError: string, message: string) =>
  new DependencyUnavailableError(
    `IAM_${awsError
      .replace(/Exception$/, '')
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toUpperCase()}`,
    message,
    { details: { awsError } },
  );

/**
 * IAM in maps, for one account: roles by name, customer-managed policies by ARN, attachments by
 * principal. It enforces the rules that shape provisioning — five policy versions at most, no
 * deleting the default version, an attached policy or a role with attachments — and records every call.
 */
export class FakeIamGateway implements IamGateway {
  readonly calls: IamCall[] = [];
  readonly oidcProviders = new Set<string>();
  readonly roles = new Map<string, FakeRole>();
  readonly policies = new Map<string, FakePolicy>();
  /** Principal name (a role name, or any label for a user or group) → attached policy ARNs. */
  readonly attachments = new Map<string, string[]>();

  constructor(
    private readonly partition: Partition = 'aws',
    private readonly accountId = '111122223333',
  ) {}

  /** Names of the calls that change something, in order. */
  writes(): string[] {
    return this.calls.filter((call) => !IAM_READS.has(call.method)).map((call) => call.method);
  }

  /** Names of every call, in order. */
  callNames(): string[] {
    return this.calls.map((call) => call.method);
  }

  forgetCalls(): void {
    this.calls.length = 0;
  }

  /** Puts a role into the account behind the broker's back. */
  seedRole(role: Omit<FakeRole, 'arn' | 'path'> & { path?: string }): FakeRole {
    const path = role.path ?? '/';
    const seeded = { ...copy(role), path, arn: `arn:${this.partition}:iam::${this.accountId}:role${path}${role.name}` };
    this.roles.set(role.name, seeded);
    return seeded;
  }

  /** Puts a policy with these versions (oldest first; the last is the default unless `defaultIndex` says otherwise). */
  seedPolicy(arn: string, tags: Tag[], documents: PolicyDocument[], defaultIndex = documents.length - 1): FakePolicy {
    const policy: FakePolicy = {
      arn,
      tags: copy(tags),
      versions: documents.map((document, index) => ({
        versionId: `v${index + 1}`,
        isDefault: index === defaultIndex,
        document: copy(document),
      })),
      nextVersion: documents.length + 1,
    };
    this.policies.set(arn, policy);
    return policy;
  }

  private record(method: keyof IamGateway, ...args: unknown[]): void {
    this.calls.push({ method, args: copy(args) });
  }

  async oidcProviderExists(arn: string): Promise<boolean> {
    this.record('oidcProviderExists', arn);
    return this.oidcProviders.has(arn);
  }

  async createOidcProvider(issuerUrl: string, tags: Tag[]): Promise<void> {
    this.record('createOidcProvider', issuerUrl, tags);
    this.oidcProviders.add(arns.oidcProvider(this.partition, this.accountId, issuerHostPath(issuerUrl)));
  }

  async createPolicy(spec: PolicySpec): Promise<CreateOutcome> {
    this.record('createPolicy', spec);
    const arn = arns.policy(this.partition, this.accountId, spec.path, spec.name);
    if (this.policies.has(arn)) return 'exists';
    this.seedPolicy(arn, spec.tags, [spec.document]);
    return 'created';
  }

  async findPolicy(arn: string): Promise<LivePolicy | undefined> {
    this.record('findPolicy', arn);
    const policy = this.policies.get(arn);
    if (!policy) return undefined;
    const defaultVersion = policy.versions.find((version) => version.isDefault);
    if (!defaultVersion) throw new Error(`fake IAM: policy ${arn} has no default version`);
    return {
      arn,
      tags: copy(policy.tags),
      defaultVersionId: defaultVersion.versionId,
      defaultDocument: copy(defaultVersion.document),
      versions: policy.versions.map(({ versionId, isDefault }) => ({ versionId, isDefault })),
    };
  }

  /** A new default version, as someone else would make one out of band (the broker never does). */
  async createDefaultPolicyVersion(arn: string, document: PolicyDocument): Promise<void> {
    const policy = this.policies.get(arn);
    if (!policy) throw iamError('NoSuchEntityException', `policy ${arn} does not exist`);
    if (policy.versions.length >= 5) throw iamError('LimitExceededException', `policy ${arn} already has five versions`);
    policy.versions.forEach((version) => (version.isDefault = false));
    policy.versions.push({ versionId: `v${policy.nextVersion++}`, isDefault: true, document: copy(document) });
  }

  async deletePolicyVersion(arn: string, versionId: string): Promise<void> {
    this.record('deletePolicyVersion', arn, versionId);
    const policy = this.policies.get(arn);
    const version = policy?.versions.find((entry) => entry.versionId === versionId);
    if (!policy || !version) return;
    if (version.isDefault) throw iamError('DeleteConflictException', `version ${versionId} of ${arn} is the default`);
    policy.versions = policy.versions.filter((entry) => entry !== version);
  }

  async deletePolicy(arn: string): Promise<void> {
    this.record('deletePolicy', arn);
    const policy = this.policies.get(arn);
    if (!policy) return;
    if (this.attachmentCount(arn) > 0) throw iamError('DeleteConflictException', `policy ${arn} is attached`);
    if (policy.versions.length > 1) throw iamError('DeleteConflictException', `policy ${arn} has non-default versions`);
    this.policies.delete(arn);
  }

  async countPolicyAttachments(arn: string): Promise<number> {
    this.record('countPolicyAttachments', arn);
    return this.attachmentCount(arn);
  }

  async createRole(spec: RoleSpec): Promise<CreateOutcome> {
    this.record('createRole', spec);
    if (this.roles.has(spec.name)) return 'exists';
    this.seedRole({
      name: spec.name,
      path: spec.path,
      trustPolicy: spec.trustPolicy,
      tags: spec.tags,
      permissionsBoundaryArn: spec.permissionsBoundaryArn,
    });
    return 'created';
  }

  async findRole(name: string): Promise<LiveRole | undefined> {
    this.record('findRole', name);
    const role = this.roles.get(name);
    if (!role) return undefined;
    return {
      arn: role.arn,
      trustPolicy: copy(role.trustPolicy),
      tags: copy(role.tags),
      ...(role.permissionsBoundaryArn ? { permissionsBoundaryArn: role.permissionsBoundaryArn } : {}),
    };
  }

  async updateTrustPolicy(roleName: string, document: PolicyDocument): Promise<void> {
    this.record('updateTrustPolicy', roleName, document);
    this.existingRole(roleName).trustPolicy = copy(document);
  }

  async putPermissionsBoundary(roleName: string, boundaryArn: string): Promise<void> {
    this.record('putPermissionsBoundary', roleName, boundaryArn);
    this.existingRole(roleName).permissionsBoundaryArn = boundaryArn;
  }

  async listAttachedPolicyArns(roleName: string): Promise<string[]> {
    this.record('listAttachedPolicyArns', roleName);
    this.existingRole(roleName);
    return [...(this.attachments.get(roleName) ?? [])];
  }

  async attachPolicy(roleName: string, policyArn: string): Promise<void> {
    this.record('attachPolicy', roleName, policyArn);
    this.existingRole(roleName);
    const ours = policyArn.includes(`::${this.accountId}:policy/`);
    if (ours && !this.policies.has(policyArn)) throw iamError('NoSuchEntityException', `policy ${policyArn} does not exist`);
    const attached = this.attachments.get(roleName) ?? [];
    if (!attached.includes(policyArn)) this.attachments.set(roleName, [...attached, policyArn]);
  }

  async detachPolicy(roleName: string, policyArn: string): Promise<void> {
    this.record('detachPolicy', roleName, policyArn);
    const attached = this.attachments.get(roleName) ?? [];
    this.attachments.set(
      roleName,
      attached.filter((arn) => arn !== policyArn),
    );
  }

  async deleteRole(roleName: string): Promise<void> {
    this.record('deleteRole', roleName);
    if (!this.roles.has(roleName)) return;
    if ((this.attachments.get(roleName) ?? []).length > 0)
      throw iamError('DeleteConflictException', `role ${roleName} has attached policies`);
    this.roles.delete(roleName);
    this.attachments.delete(roleName);
  }

  async getAuthorizationDetails(): Promise<AuthorizationDetails> {
    this.record('getAuthorizationDetails');
    return {
      roles: [...this.roles.values()].map((role) => ({
        name: role.name,
        path: role.path,
        arn: role.arn,
        trustPolicy: copy(role.trustPolicy),
        tags: copy(role.tags),
        ...(role.permissionsBoundaryArn ? { permissionsBoundaryArn: role.permissionsBoundaryArn } : {}),
        attachedPolicyArns: [...(this.attachments.get(role.name) ?? [])],
      })),
      policies: [...this.policies.values()].map((policy) => {
        const defaultVersion = policy.versions.find((version) => version.isDefault)!;
        return {
          arn: policy.arn,
          path: policy.arn.replace(/^arn:[^:]+:iam::\d+:policy/, '').replace(/[^/]*$/, ''),
          defaultVersionId: defaultVersion.versionId,
          defaultDocument: copy(defaultVersion.document),
        };
      }),
    };
  }

  private attachmentCount(arn: string): number {
    return [...this.attachments.values()].filter((attached) => attached.includes(arn)).length;
  }

  private existingRole(name: string): FakeRole {
    const role = this.roles.get(name);
    if (!role) throw iamError('NoSuchEntityException', `role ${name} does not exist`);
    return role;
  }
}

/** DescribeCluster from config: each cluster's configured issuer, unless a test says the cluster now has another. */
export class FakeClusterDirectory implements ClusterDirectory {
  readonly calls: string[] = [];

  constructor(private readonly issuerOverrides: Record<string, string> = {}) {}

  async describeCluster(cluster: ClusterConfig): Promise<ClusterInfo> {
    this.calls.push(cluster.name);
    return {
      issuerUrl:
        this.issuerOverrides[cluster.name] ??
        cluster.oidcIssuer ??
        `https://oidc.eks.${cluster.region}.amazonaws.com/id/DESCRIBED${cluster.name.toUpperCase()}`,
      endpoint: `https://${cluster.name}.eks.example.com`,
      certificateAuthorityData: 'Q0EgZGF0YQ==',
    };
  }
}

/**
 * S3 as the pre-flight sees it: every bucket exists in the cluster's account and region with SSE-S3,
 * unless a test puts other facts for it.
 */
export class FakeBucketInspector implements BucketInspector {
  readonly calls: { bucket: string; expectedOwners: readonly string[] }[] = [];
  readonly facts = new Map<string, BucketFacts>();

  async inspect(bucket: string, expectedOwners: readonly string[], cluster: ClusterConfig): Promise<BucketFacts> {
    this.calls.push({ bucket, expectedOwners });
    return (
      this.facts.get(bucket) ?? {
        status: BucketFactsStatus.Found,
        region: cluster.region,
        owner: cluster.accountId,
        encryption: { type: BucketEncryption.SseS3, bucketKeyEnabled: false },
        policy: { text: null },
      }
    );
  }
}

/** A clock that stands still until a test moves it. */
export class ManualClock implements Clock {
  constructor(private current: Date) {}

  now(): Date {
    return new Date(this.current.getTime());
  }

  advanceHours(hours: number): void {
    this.current = new Date(this.current.getTime() + hours * HOUR_MS);
  }
}

/** Ids req-0001, req-0002, … in order. */
export class SequentialIds implements IdSource {
  private next = 1;

  newId(): string {
    return `req-${String(this.next++).padStart(4, '0')}`;
  }
}

/**
 * Account sessions over fakes: one FakeIamGateway per account (the hub's is the one given), one
 * shared cluster directory. Records every session asked for; accounts in `unassumable` fail as a
 * spoke whose provisioner role does not trust the hub would.
 */
export class FakeAccountSessions implements AccountSessions {
  readonly requested: { accountId: string; sessionId: string }[] = [];
  readonly unassumable = new Set<string>();
  private readonly gateways = new Map<string, FakeIamGateway>();

  constructor(
    private readonly config: BrokerConfig,
    private readonly hubIam: FakeIamGateway,
    private readonly clusters: FakeClusterDirectory,
  ) {}

  /** The fake IAM of one account (created empty on first use). */
  iamOf(accountId: string): FakeIamGateway {
    const access = accountAccess(this.config, accountId);
    if (access.kind === 'hub') return this.hubIam;
    let gateway = this.gateways.get(accountId);
    if (!gateway) {
      gateway = new FakeIamGateway(this.config.clusters[0]?.partition ?? 'aws', accountId);
      this.gateways.set(accountId, gateway);
    }
    return gateway;
  }

  async forCluster(cluster: ClusterConfig, sessionId: string): Promise<AccountSession> {
    this.requested.push({ accountId: cluster.accountId, sessionId });
    const access = accountAccess(this.config, cluster.accountId);
    if (access.kind === 'provisioner' && this.unassumable.has(cluster.accountId)) {
      throw new DependencyUnavailableError(
        'PROVISIONER_ROLE_UNASSUMABLE',
        `the broker cannot assume ${access.roleArn} of account ${cluster.accountId}`,
        {
          details: { accountId: cluster.accountId, roleArn: access.roleArn, awsError: 'AccessDenied' },
        },
      );
    }
    return {
      accountId: cluster.accountId,
      ...(access.kind === 'provisioner' ? { roleArn: access.roleArn } : {}),
      iam: this.iamOf(cluster.accountId),
      clusters: this.clusters,
      credentials: async () => ({ accessKeyId: `AKIAFAKE${cluster.accountId}`, secretAccessKey: 'fake' }),
    };
  }
}

/** Provisioning dependencies made of fakes, each exposed with its own type so tests can look inside. */
export interface FakeProvisioningDeps extends ProvisioningDeps {
  store: InMemoryAccessRequestStore;
  workloads: InMemoryWorkloadStore;
  iam: FakeIamGateway;
  clusters: FakeClusterDirectory;
  buckets: FakeBucketInspector;
  accounts: FakeAccountSessions;
  clock: ManualClock;
  /** Request ids handed to the provisioning queue. */
  queued: string[];
}

/**
 * Fakes wired as a handler wires the real adapters. IAM already holds the OIDC provider of every
 * configured issuer; issuers come from config, and from the fake DescribeCluster where config has none.
 */
export function makeFakeProvisioningDeps(
  config: BrokerConfig,
  options: { now?: Date; clusters?: FakeClusterDirectory; iam?: FakeIamGateway } = {},
): FakeProvisioningDeps {
  const iam = options.iam ?? new FakeIamGateway();
  const clusters = options.clusters ?? new FakeClusterDirectory();
  for (const cluster of config.clusters) {
    if (cluster.oidcIssuer)
      iam.oidcProviders.add(arns.oidcProvider(cluster.partition, cluster.accountId, issuerHostPath(cluster.oidcIssuer)));
  }
  const queued: string[] = [];
  return {
    config,
    store: new InMemoryAccessRequestStore(),
    workloads: new InMemoryWorkloadStore(),
    clock: new ManualClock(options.now ?? new Date('2030-01-01T09:00:00.000Z')),
    ids: new SequentialIds(),
    issuers: { getIssuerUrl: async (cluster) => cluster.oidcIssuer ?? (await clusters.describeCluster(cluster)).issuerUrl },
    buckets: new FakeBucketInspector(),
    serviceAccountTemplate,
    queue: { enqueue: async (job) => void queued.push(job.requestId) },
    iam,
    clusters,
    accounts: new FakeAccountSessions(config, iam, clusters),
    knownOidcProviders: new Map(),
    serviceAccounts: () => Promise.reject(new Error('no cluster in unit tests: delivery is manifest')),
    verifier: () => Promise.reject(new Error('no cluster in unit tests: nothing to verify against')),
    queued,
  };
}

/** Reconcile cursors in a map, one per account. */
export class InMemoryReconcileCursorStore implements ReconcileCursorStore {
  readonly cursors = new Map<string, ReconcileCursor>();

  async get(accountId: string): Promise<ReconcileCursor | undefined> {
    const cursor = this.cursors.get(accountId);
    return cursor && copy(cursor);
  }

  async put(cursor: ReconcileCursor): Promise<void> {
    this.cursors.set(cursor.accountId, copy(cursor));
  }
}

/** Reconcile dependencies made of fakes: provisioning's, plus cursors in memory and the jobs sent kept in order. */
export interface FakeReconcileDeps extends FakeProvisioningDeps {
  cursors: InMemoryReconcileCursorStore;
  reconcileQueue: ReconcileDeps['reconcileQueue'];
  /** Reconcile jobs handed to the queue, in order. */
  sent: ReconcileJob[];
}

export function makeFakeReconcileDeps(
  config: BrokerConfig,
  options: Parameters<typeof makeFakeProvisioningDeps>[1] = {},
): FakeReconcileDeps {
  const sent: ReconcileJob[] = [];
  return {
    ...makeFakeProvisioningDeps(config, options),
    cursors: new InMemoryReconcileCursorStore(),
    reconcileQueue: { enqueue: async (job) => void sent.push(copy(job)) },
    sent,
  };
}
