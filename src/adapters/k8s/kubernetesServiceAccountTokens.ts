import { ApiException, CoreV1Api } from '@kubernetes/client-node';
import type { ClusterConnection, ServiceAccountTokens } from '../../ports';
import type { EksTokenSource } from '../aws/eksTokenSource';
import { makeKubeApiClient } from './kubeApiClient';
import { kubeConfigFor, translate } from './kubernetesServiceAccountApplier';

/** The shortest lifetime the API server grants; the token is used once, at once. */
const TOKEN_SECONDS = 600;

/**
 * TokenRequest (`create serviceaccounts/token`) with @kubernetes/client-node: the same kind of token
 * the kubelet projects into an IRSA pod, so STS sees what the pod will show it.
 */
export class KubernetesServiceAccountTokens implements ServiceAccountTokens {
  constructor(private readonly tokens: EksTokenSource) {}

  async requestToken(cluster: ClusterConnection, namespace: string, name: string, audience: string): Promise<string | undefined> {
    const { token } = await this.tokens.getToken({ clusterName: cluster.name, region: cluster.region, partition: cluster.partition });
    const api = makeKubeApiClient(CoreV1Api, kubeConfigFor(cluster, token));
    try {
      const answer = await api.createNamespacedServiceAccountToken({
        name,
        namespace,
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { audiences: [audience], expirationSeconds: TOKEN_SECONDS },
        },
      });
      return answer.status?.token;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      return translate(error, cluster, `request a token for ServiceAccount ${namespace}/${name}`);
    }
  }
}
