// RBAC for the broker inside the harness cluster, applied with the admin token. What an EKS
// operator would grant the broker's access entry: ServiceAccount verbs in the namespaces it serves,
// nothing cluster-wide unless a test asks for namespace creation.
// Loaded both by plain node (ESM) and by jest (CommonJS through swc): no import.meta here.
import { kubeRequest } from './cluster.mjs';

/** The group the webhook's access-entry mapping gives the broker, and RBAC binds. */
export const BROKER_GROUP = 'irsa-broker';
/**
 * What the ServiceAccount applier needs, no more: no `list` or `watch`, so a test also proves the
 * broker never enumerates a namespace's accounts.
 */
export const BROKER_SERVICE_ACCOUNT_VERBS = Object.freeze(['get', 'create', 'patch', 'update', 'delete']);
const FIELD_MANAGER = 'irsa-broker-harness';

/**
 * Server-side apply: creates or updates in one call, so every ensure* here is idempotent and a
 * rerun against the same cluster converges instead of failing with 409 AlreadyExists.
 */
async function apply(cluster, path, object) {
  const response = await kubeRequest(cluster, 'PATCH', `${path}?fieldManager=${FIELD_MANAGER}&force=true`, {
    token: cluster.adminToken,
    body: object,
    contentType: 'application/apply-patch+yaml',
  });
  if (response.status >= 300) {
    throw new Error(`apply ${object.kind} ${object.metadata.name} failed (${response.status}): ${response.body?.message ?? response.text}`);
  }
  return response.body;
}

/**
 * Creates the namespace if missing. There is no controller-manager in the harness, so a deleted
 * namespace never goes away: use fresh names per test run.
 * @param {{ endpoint: string, caPem: string, adminToken: string }} cluster
 * @param {string} name
 */
export function ensureNamespace(cluster, name) {
  return apply(cluster, `/api/v1/namespaces/${name}`, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/**
 * Lets `group` manage ServiceAccounts, and request their tokens, in each of `namespaces` (a Role + RoleBinding per namespace,
 * named `irsa-broker-serviceaccounts`), creating the namespaces first.
 * @param {{ endpoint: string, caPem: string, adminToken: string }} cluster
 * @param {object} options
 * @param {string[]} options.namespaces
 * @param {string} [options.group] default `irsa-broker`
 * @param {readonly string[]} [options.verbs] default get/create/patch/update/delete
 * @param {boolean} [options.allowNamespaceCreation] also a ClusterRole(Binding) for `create namespaces`
 */
export async function ensureBrokerRbac(
  cluster,
  { namespaces, group = BROKER_GROUP, verbs = BROKER_SERVICE_ACCOUNT_VERBS, allowNamespaceCreation = false },
) {
  const name = 'irsa-broker-serviceaccounts';
  const subjects = [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: group }];
  for (const namespace of namespaces) {
    await ensureNamespace(cluster, namespace);
    await apply(cluster, `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles/${name}`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace },
      rules: [
        { apiGroups: [''], resources: ['serviceaccounts'], verbs: [...verbs] },
        // Verification asks for a token as the kubelet would for a pod (TokenRequest); nothing else.
        { apiGroups: [''], resources: ['serviceaccounts/token'], verbs: ['create'] },
      ],
    });
    await apply(cluster, `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings/${name}`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects,
    });
  }
  if (allowNamespaceCreation) {
    const clusterName = 'irsa-broker-create-namespaces';
    await apply(cluster, `/apis/rbac.authorization.k8s.io/v1/clusterroles/${clusterName}`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: clusterName },
      rules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['create'] }],
    });
    await apply(cluster, `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${clusterName}`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: clusterName },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterName },
      subjects,
    });
  }
}
