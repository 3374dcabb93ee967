import type { ServiceAccountApplier } from '../../ports';
import type { ProvisioningDeps } from '../../usecases/provisioningDeps';
import { accessRequestDeps } from './accessRequestDeps';
import { accountSessions } from './accountSessions';

let deps: ProvisioningDeps | undefined;
let applier: Promise<ServiceAccountApplier> | undefined;

/** The Kubernetes client and token source, loaded the first time a grant is delivered by `apply`. */
function serviceAccounts(): Promise<ServiceAccountApplier> {
  applier ??= Promise.all([import('../../adapters/k8s/kubernetesServiceAccountApplier'), import('../../adapters/aws/eksTokenSource')]).then(
    ([{ KubernetesServiceAccountApplier }, { EksTokenSource }]) => new KubernetesServiceAccountApplier(new EksTokenSource()),
  );
  return applier;
}

/** Dependencies of the functions that change IAM, built once per cold start. */
export function provisioningDeps(): ProvisioningDeps {
  const accounts = accountSessions();
  deps ??= {
    ...accessRequestDeps(),
    accounts,
    // The hub's own session, for the use cases that do not yet ask `accounts` for the cluster's.
    iam: accounts.hubSession().iam,
    clusters: accounts.hubSession().clusters,
    knownOidcProviders: new Map(),
    serviceAccounts,
  };
  return deps;
}
