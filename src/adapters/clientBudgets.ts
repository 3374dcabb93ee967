/**
 * How long each function may wait on one dependency call, in one place. A call that hangs must fail
 * (and be answered 503 + Retry-After, or recorded as retryable) before the function itself times
 * out: so for every function, attempts × per-attempt timeout + the SDK's worst backoff stays well
 * under the function's timeout (serverless.yml), which tests/unit/adapters/clientBudgets.test.ts checks.
 */
export const FunctionKind = {
  /** The HTTP routes (provider.timeout 10 s; API Gateway gives up at 30 s). */
  Api: 'api',
  Verify: 'verify',
  Provision: 'provision',
  SlackWorker: 'slack-worker',
  /** The expiry sweep and the sweep of stuck requests (300 s each). */
  Expire: 'expire',
  /** The scheduled reconcile dispatcher: one store read and one queue message per account (30 s). */
  ReconcileDispatch: 'reconcile-dispatch',
  /** One account's reconcile pass (reconcileAccount, 300 s). */
  Reconcile: 'reconcile',
} as const;
export type FunctionKind = (typeof FunctionKind)[keyof typeof FunctionKind];

export interface ClientBudget {
  /** The function's own timeout (serverless.yml), which everything below must fit in. */
  functionTimeoutSeconds: number;
  /** Per attempt, from opening the connection to the last byte of the answer. */
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  /** Attempts per call, the first included (the SDK's retries; Slack's client gets attempts − 1 retries). */
  maxAttempts: number;
}

export const CLIENT_BUDGETS: Record<FunctionKind, ClientBudget> = {
  // 2 × 2 s + 1 s backoff = 5 s of 10: DynamoDB answers in milliseconds, so 2 s is already an outage.
  [FunctionKind.Api]: { functionTimeoutSeconds: 10, requestTimeoutMs: 2_000, connectionTimeoutMs: 1_000, maxAttempts: 2 },
  // 3 × 5 s + 3 s = 18 s of 29: one TokenRequest, one STS call and a few S3 calls, each may need a retry.
  [FunctionKind.Verify]: { functionTimeoutSeconds: 29, requestTimeoutMs: 5_000, connectionTimeoutMs: 2_000, maxAttempts: 3 },
  // 5 × 8 s + 15 s = 55 s of 120: IAM is slow under load and throttles; Lambda's own retry resumes after.
  [FunctionKind.Provision]: { functionTimeoutSeconds: 120, requestTimeoutMs: 8_000, connectionTimeoutMs: 2_000, maxAttempts: 5 },
  // 3 × 5 s + 3 s = 18 s of 30.
  [FunctionKind.SlackWorker]: { functionTimeoutSeconds: 30, requestTimeoutMs: 5_000, connectionTimeoutMs: 2_000, maxAttempts: 3 },
  // 5 × 10 s + 15 s = 65 s of 300: a pass visits many grants; one that fails is taken up by the next run.
  [FunctionKind.Expire]: { functionTimeoutSeconds: 300, requestTimeoutMs: 10_000, connectionTimeoutMs: 2_000, maxAttempts: 5 },
  // 3 × 5 s + 3 s = 18 s of 30.
  [FunctionKind.ReconcileDispatch]: { functionTimeoutSeconds: 30, requestTimeoutMs: 5_000, connectionTimeoutMs: 2_000, maxAttempts: 3 },
  // 6 × 10 s + 31 s = 91 s of 300: GetAccountAuthorizationDetails pages are large; the pass's own time budget stops it first.
  [FunctionKind.Reconcile]: { functionTimeoutSeconds: 300, requestTimeoutMs: 10_000, connectionTimeoutMs: 2_000, maxAttempts: 6 },
};

/** The environment variable serverless.yml sets on each function that is not an HTTP route. */
export const FUNCTION_KIND_VARIABLE = 'IRSA_BROKER_FUNCTION_KIND';

/** The SDK's backoff before retry i (0-based) is random up to min(base · 2^i, 20 s); throttling's base is 1 s (@smithy/core). */
const THROTTLING_BACKOFF_BASE_MS = 1_000;
const MAX_BACKOFF_MS = 20_000;

/** The longest one call can take under `budget`: every attempt timing out, every backoff at its maximum. */
export function worstCaseCallMs(budget: ClientBudget): number {
  let backoff = 0;
  for (let retry = 0; retry < budget.maxAttempts - 1; retry++) backoff += Math.min(THROTTLING_BACKOFF_BASE_MS * 2 ** retry, MAX_BACKOFF_MS);
  return budget.maxAttempts * budget.requestTimeoutMs + backoff;
}

/** This function's kind, from its environment; the HTTP routes (the tightest budget) by default. */
export function functionKind(env: NodeJS.ProcessEnv = process.env): FunctionKind {
  const value = env[FUNCTION_KIND_VARIABLE];
  return (Object.values(FunctionKind) as string[]).includes(value ?? '') ? (value as FunctionKind) : FunctionKind.Api;
}

/** The budget of this function (or of `kind`). */
export function clientBudget(kind: FunctionKind = functionKind()): ClientBudget {
  return CLIENT_BUDGETS[kind];
}

/**
 * AWS SDK v3 client options for the budget: NodeHttpHandler timeouts and attempts. Without
 * `throwOnRequestTimeout` the handler only logs a warning when requestTimeout passes and keeps
 * waiting (@smithy/node-http-handler 4.x), so it is always set.
 */
export function clientOptions(kind: FunctionKind = functionKind()) {
  const budget = CLIENT_BUDGETS[kind];
  return {
    maxAttempts: budget.maxAttempts,
    requestHandler: {
      connectionTimeout: budget.connectionTimeoutMs,
      requestTimeout: budget.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  };
}
