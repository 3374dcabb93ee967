import { createConfiguration, ServerConfiguration, type Configuration, type KubeConfig, type Middleware } from '@kubernetes/client-node';
import { clientBudget } from '../clientBudgets';

/**
 * Gives every request an AbortSignal that fires after `timeoutMs`. client-node 2.x sends with
 * undici's fetch, which has no timeout of its own beyond undici's 300 s defaults; the generated
 * request context takes a signal (`setSignal`), and this middleware runs for every call, the
 * discovery requests of KubernetesObjectApi included. The abort covers connecting, the TLS
 * handshake, waiting for headers and reading the body.
 */
export function timeoutMiddleware(timeoutMs: number): Middleware {
  return {
    pre: async (context) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return context;
    },
    post: async (context) => context,
  };
}

/**
 * An API client of `Type` for the current cluster of `config`, built as KubeConfig.makeApiClient
 * builds it (the KubeConfig authenticates each request) plus the function's per-request timeout.
 */
export function makeKubeApiClient<Api>(
  Type: new (configuration: Configuration) => Api,
  config: KubeConfig,
  timeoutMs: number = clientBudget().requestTimeoutMs,
): Api {
  const cluster = config.getCurrentCluster();
  if (!cluster) throw new Error('the kube config has no current cluster');
  return new Type(
    createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: config },
      promiseMiddleware: [timeoutMiddleware(timeoutMs)],
    }),
  );
}
