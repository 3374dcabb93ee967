import { SdkIamGateway } from '../../adapters/aws/iamGateway';
import type { ServiceAccountApplier } from '../../ports';
import type { ProvisioningDeps } from '../../usecases/provisioningDeps';
import { accessRequestDeps } from './accessRequestDeps';
import { clusterDirectory } from './eksDirectory';

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
  deps ??= {
    ...accessRequestDeps(),
    iam: new SdkIamGateway(),
    clusters: clusterDirectory(),
    knownOidcProviders: new Map(),
    serviceAccounts,
  };
  return deps;
}
