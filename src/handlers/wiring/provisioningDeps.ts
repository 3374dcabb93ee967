import { SQSClient } from '@aws-sdk/client-sqs';
import { SqsFailedInvocations } from '../../adapters/aws/sqsFailedInvocations';
import { clientOptions } from '../../adapters/clientBudgets';
import type { FailedInvocations, ServiceAccountApplier } from '../../ports';
import type { ProvisioningDeps } from '../../usecases/provisioningDeps';
import { accessRequestDeps, slackJobQueue } from './accessRequestDeps';
import { slackConfigured } from './slackSecrets';
import { accountSessions } from './accountSessions';

let deps: ProvisioningDeps | undefined;
let applier: Promise<ServiceAccountApplier> | undefined;
let verifier: ReturnType<ProvisioningDeps['verifier']> | undefined;

/** TokenRequest, STS and S3 clients, loaded the first time a grant is verified. */
function grantVerifier(): ReturnType<ProvisioningDeps['verifier']> {
  verifier ??= Promise.all([
    import('../../adapters/k8s/kubernetesServiceAccountTokens'),
    import('../../adapters/aws/eksTokenSource'),
    import('../../adapters/aws/stsS3AccessProber'),
  ]).then(([{ KubernetesServiceAccountTokens }, { EksTokenSource }, { StsS3AccessProber }]) => ({
    tokens: new KubernetesServiceAccountTokens(new EksTokenSource()),
    prober: new StsS3AccessProber(),
  }));
  return verifier;
}

/** The Kubernetes client and token source, loaded the first time a grant is delivered by `apply`. */
function serviceAccounts(): Promise<ServiceAccountApplier> {
  applier ??= Promise.all([import('../../adapters/k8s/kubernetesServiceAccountApplier'), import('../../adapters/aws/eksTokenSource')]).then(
    ([{ KubernetesServiceAccountApplier }, { EksTokenSource }]) => new KubernetesServiceAccountApplier(new EksTokenSource()),
  );
  return applier;
}

/** The provisioning function's on-failure destination, where one is configured (IRSA_BROKER_FAILED_INVOCATIONS_QUEUE_URL). */
function failedInvocations(): FailedInvocations | undefined {
  const queueUrl = process.env.IRSA_BROKER_FAILED_INVOCATIONS_QUEUE_URL;
  return queueUrl ? new SqsFailedInvocations(new SQSClient(clientOptions()), queueUrl) : undefined;
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
    verifier: grantVerifier,
    failedInvocations: failedInvocations(),
    ...(slackConfigured() ? { slackJobs: slackJobQueue() } : {}),
  };
  return deps;
}
