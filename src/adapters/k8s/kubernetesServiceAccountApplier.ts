import { ApiException, KubeConfig, KubernetesObjectApi, PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { ConflictError, DependencyUnavailableError, ValidationError } from '../../domain/errors';
import {
  ADOPTED_FROM_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_LABEL_VALUE,
  REQUEST_ID_ANNOTATION,
  ROLE_ARN_ANNOTATION,
} from '../../domain/makeServiceAccountManifest';
import type {
  ApplyOptions,
  ApplyOutcome,
  ClusterConnection,
  MetadataBefore,
  ReleaseOptions,
  ServiceAccountApplier,
  ServiceAccountFacts,
} from '../../ports';
import type { EksTokenSource } from '../aws/eksTokenSource';
import { classifyHttpStatus, FailureClass, toBrokerError } from '../dependencyFailures';
import { makeKubeApiClient } from './kubeApiClient';

/** Server-side apply field manager: the broker owns exactly the fields it sets. */
export const FIELD_MANAGER = 'irsa-broker';

type ServiceAccount = KubernetesObject & {
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
};

/** Whether the account carries a grant id the broker recorded: the only proof it is the broker's. */
const isOwned = (object: ServiceAccount, ownerIds: readonly string[]) => {
  const id = object.metadata.annotations?.[REQUEST_ID_ANNOTATION];
  return id !== undefined && ownerIds.includes(id);
};

/** What `desired` is about to overwrite on `existing`: each label and annotation it sets, as it was (null: absent). */
function metadataBefore(existing: ServiceAccount, desired: ServiceAccount): MetadataBefore {
  const was = (set: Record<string, string> | undefined, had: Record<string, string> | undefined) =>
    Object.fromEntries(Object.keys(set ?? {}).map((key) => [key, had?.[key] ?? null]));
  return {
    labels: was(desired.metadata.labels, existing.metadata.labels),
    annotations: was(desired.metadata.annotations, existing.metadata.annotations),
  };
}

function serverMessage(error: ApiException<unknown>): string {
  const body = typeof error.body === 'string' ? safeParse(error.body) : error.body;
  return (body as { message?: string } | undefined)?.message ?? error.message;
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}

/**
 * Turns API-server failures into errors that say what to fix, classified as every dependency is
 * (dependencyFailures): a 401 means the broker's IAM role has no EKS access entry and a 403 that RBAC
 * lacks a permission (the server names the verb and namespace) — both 502, the broker's set-up; 408,
 * 429 and 5xx, and anything that never reached the server (refused, reset, timed out), are retryable
 * (503 + Retry-After); any other 4xx refuses what was sent (422). `details.status` is the HTTP status.
 */
export function translate(error: unknown, cluster: ClusterConnection, action: string): never {
  if (error instanceof ApiException) {
    const failure = classifyHttpStatus(error.code, serverMessage(error), error.headers?.['retry-after']);
    const code =
      error.code === 401
        ? 'K8S_UNAUTHORIZED'
        : error.code === 403
          ? 'K8S_FORBIDDEN'
          : failure.class === FailureClass.Retryable
            ? 'K8S_REQUEST_FAILED'
            : 'K8S_REQUEST_REFUSED';
    const message =
      error.code === 401
        ? `the API server of cluster ${cluster.name} did not accept the broker's EKS token while trying to ${action}: give the broker's IAM role an EKS access entry (aws eks create-access-entry --cluster ${cluster.name} --principal-arn <broker role ARN>)`
        : error.code === 403
          ? `RBAC in cluster ${cluster.name} does not let the broker ${action}: ${failure.message}. Bind a Role allowing get, create, patch and delete on serviceaccounts there to the broker's user or group`
          : `cluster ${cluster.name} answered ${error.code} while trying to ${action}: ${failure.message}`;
    throw toBrokerError(failure, error, { code, message, refused: 'request', conflictIsConflict: true }, () => ({ status: error.code }));
  }
  throw new DependencyUnavailableError(
    'K8S_UNREACHABLE',
    `cannot reach the API server of cluster ${cluster.name} (${cluster.endpoint}) to ${action}; retry later`,
    { cause: error },
  );
}

/** A client configuration for one cluster, authenticated with an EKS token. */
export function kubeConfigFor(cluster: ClusterConnection, token: string): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: cluster.name, server: cluster.endpoint, caData: cluster.certificateAuthorityData, skipTLSVerify: false }],
    users: [{ name: FIELD_MANAGER, token }],
    contexts: [{ name: cluster.name, cluster: cluster.name, user: FIELD_MANAGER }],
    currentContext: cluster.name,
  });
  return config;
}

/** What adoption overwrote, as the account itself records it; undefined when absent or unreadable. */
function recordedBefore(account: ServiceAccount): MetadataBefore | undefined {
  const text = account.metadata.annotations?.[ADOPTED_FROM_ANNOTATION];
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as MetadataBefore;
    return parsed && typeof parsed.labels === 'object' && typeof parsed.annotations === 'object' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** ServiceAccounts applied with @kubernetes/client-node, authenticated the EKS way. */
export class KubernetesServiceAccountApplier implements ServiceAccountApplier {
  /** One client per cluster and token: client-node caches API discovery per client, so reuse saves a request per call. */
  private readonly clients = new Map<string, { token: string; api: KubernetesObjectApi }>();

  constructor(private readonly tokens: EksTokenSource) {}

  async apply(cluster: ClusterConnection, manifest: Record<string, unknown>, options: ApplyOptions): Promise<ApplyOutcome> {
    const api = await this.client(cluster);
    const desired = manifest as unknown as ServiceAccount;
    const { namespace, name } = desired.metadata;
    const existing = await this.read(api, cluster, namespace, name);
    const owned = existing !== undefined && isOwned(existing, options.ownerIds);
    if (existing && !owned && !options.adopt) {
      throw new ConflictError(
        'SERVICE_ACCOUNT_NOT_MANAGED',
        `ServiceAccount ${namespace}/${name} exists and is not managed by irsa-broker (labels do not prove it); ask to adopt it, or pick another name`,
        { details: { namespace, name } },
      );
    }
    if (!existing && options.createNamespace) await this.ensureNamespace(api, cluster, namespace);
    const before = existing && !owned ? metadataBefore(existing, desired) : undefined;
    // What adoption overwrote travels with the account; applies after it keep it (server-side apply would drop a field the manager stops setting).
    const adoptedFrom = before ? JSON.stringify(before) : existing?.metadata.annotations?.[ADOPTED_FROM_ANNOTATION];
    const toApply = adoptedFrom
      ? {
          ...desired,
          metadata: { ...desired.metadata, annotations: { ...desired.metadata.annotations, [ADOPTED_FROM_ANNOTATION]: adoptedFrom } },
        }
      : desired;
    let applied: ServiceAccount;
    try {
      // force: the broker's fields win over another manager's (only reached for its own or adopted accounts).
      applied = await api.patch(toApply, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) {
        // Deterministic until someone creates the namespace (or allows the broker to): not retryable.
        throw new ValidationError(
          'K8S_NAMESPACE_MISSING',
          `namespace ${namespace} does not exist in cluster ${cluster.name}; create it, or let the broker do so (delivery.createNamespaces)`,
          { cause: error },
        );
      }
      return translate(error, cluster, `apply ServiceAccount ${namespace}/${name}`);
    }
    if (!existing) return { outcome: 'created' };
    if (before) return { outcome: 'adopted', before };
    return { outcome: existing.metadata.resourceVersion === applied.metadata.resourceVersion ? 'unchanged' : 'updated' };
  }

  async remove(
    cluster: ClusterConnection,
    namespace: string,
    name: string,
    options: ReleaseOptions,
  ): Promise<'deleted' | 'released' | 'absent'> {
    const api = await this.client(cluster);
    const existing = await this.read(api, cluster, namespace, name);
    // Gone, or no longer carrying a grant id the broker recorded (someone re-made it): not the broker's to touch.
    if (!existing || !isOwned(existing, options.ownerIds)) return 'absent';
    try {
      if (options.ownership === 'created') {
        await api.delete(existing);
        return 'deleted';
      }
      // An adopted account stays; what the broker set goes back to what it was (null removes a key).
      const before = recordedBefore(existing) ??
        options.before ?? { labels: { [MANAGED_BY_LABEL]: null }, annotations: { [ROLE_ARN_ANNOTATION]: null } };
      const release = {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: {
          name,
          namespace,
          labels: { [MANAGED_BY_LABEL]: null, ...before.labels },
          annotations: { [REQUEST_ID_ANNOTATION]: null, [ADOPTED_FROM_ANNOTATION]: null, ...before.annotations },
        },
      };
      await api.patch(release as unknown as KubernetesObject, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
      return 'released';
    } catch (error) {
      return translate(error, cluster, `remove ServiceAccount ${namespace}/${name}`);
    }
  }

  async describe(
    cluster: ClusterConnection,
    namespace: string,
    name: string,
    ownerIds: string[],
  ): Promise<ServiceAccountFacts | undefined> {
    const existing = await this.read(await this.client(cluster), cluster, namespace, name);
    if (!existing) return undefined;
    const annotations = existing.metadata.annotations ?? {};
    return {
      owned: isOwned(existing, ownerIds),
      roleArn: annotations[ROLE_ARN_ANNOTATION],
      adopted: annotations[ADOPTED_FROM_ANNOTATION] !== undefined,
    };
  }

  private async client(cluster: ClusterConnection): Promise<KubernetesObjectApi> {
    // The token source renews tokens before EKS would refuse them; a new token means a new client.
    const { token } = await this.tokens.getToken({
      clusterName: cluster.name,
      region: cluster.region,
      partition: cluster.partition,
      credentials: cluster.credentials,
    });
    const key = `${cluster.accountId ?? ''}|${cluster.name}|${cluster.endpoint}`;
    const cached = this.clients.get(key);
    if (cached?.token === token) return cached.api;
    // Every object the broker sends names its namespace, so the client's default namespace never applies.
    const api = makeKubeApiClient(KubernetesObjectApi, kubeConfigFor(cluster, token));
    this.clients.set(key, { token, api });
    return api;
  }

  private async read(
    api: KubernetesObjectApi,
    cluster: ClusterConnection,
    namespace: string,
    name: string,
  ): Promise<ServiceAccount | undefined> {
    try {
      return (await api.read({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } })) as ServiceAccount;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      return translate(error, cluster, `read ServiceAccount ${namespace}/${name}`);
    }
  }

  /**
   * Creates a missing namespace; an existing one is never modified. Creating straight away (and
   * taking "already exists" as success) needs only the `create namespaces` permission.
   */
  private async ensureNamespace(api: KubernetesObjectApi, cluster: ClusterConnection, namespace: string): Promise<void> {
    try {
      await api.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_LABEL_VALUE } },
      });
    } catch (error) {
      if (error instanceof ApiException && error.code === 409) return;
      translate(error, cluster, `create namespace ${namespace}`);
    }
  }
}
