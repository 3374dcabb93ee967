import { SdkIamGateway } from '../../adapters/aws/iamGateway';
import type { ProvisioningDeps } from '../../usecases/provisioningDeps';
import { accessRequestDeps, clusterDirectory } from './accessRequestDeps';

let deps: ProvisioningDeps | undefined;

/** Dependencies of the functions that change IAM, built once per cold start. */
export function provisioningDeps(): ProvisioningDeps {
  deps ??= { ...accessRequestDeps(), iam: new SdkIamGateway(), clusters: clusterDirectory(), knownOidcProviders: new Map() };
  return deps;
}
