import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';
import {
  BrokerError,
  ConflictError,
  DEFAULT_RETRY_AFTER_SECONDS,
  DependencyRefusedError,
  DependencyUnavailableError,
  ValidationError,
} from '../domain/errors';

/** How long a throttled caller should wait: throttling lasts longer than a lost connection. */
export const THROTTLED_RETRY_AFTER_SECONDS = 5;
/** A dependency's own Retry-After is honoured up to this, so a client is never told to wait for minutes. */
const MAX_RETRY_AFTER_SECONDS = 60;

/**
 * What kind of failure a dependency's error is:
 * - `retryable`: the same call may succeed later (throttled, timed out, unreachable, 5xx, 408/429);
 * - `denied`: the dependency refuses the broker's credentials or permissions (401/403);
 * - `refused`: any other deterministic answer (4xx): what was asked cannot be done as asked.
 */
export const FailureClass = { Retryable: 'retryable', Denied: 'denied', Refused: 'refused' } as const;
export type FailureClass = (typeof FailureClass)[keyof typeof FailureClass];

export interface DependencyFailure {
  class: FailureClass;
  /** The dependency's own error code (the AWS error name, or the HTTP status for Kubernetes). */
  name: string;
  message: string;
  status?: number;
  retryAfterSeconds?: number;
}

/** Error names whose class a service means differently from what the SDK's generic lists say. */
export interface ServiceQuirks {
  /** Deterministic despite the SDK's lists (IAM's LimitExceeded is a quota, not a rate). */
  deterministic?: readonly string[];
  /** Retryable though the SDK does not know it (IAM's ConcurrentModification). */
  retryable?: readonly string[];
}

interface SdkErrorShape {
  name?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
}

/**
 * Classifies an AWS SDK error by the SDK's own knowledge (@smithy/core's retry classification:
 * throttling, transient and server errors, `$retryable`), the same rules its retry strategy used
 * before giving up. A failure that never got an answer (timeout, reset, DNS) is retryable; an answer
 * with a 401/403 is `denied`; any other client fault is `refused`.
 */
export function classifyAwsError(error: unknown, quirks: ServiceQuirks = {}): DependencyFailure {
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const name = sdk.name ?? 'Error';
  const message = sdk.message ?? String(error);
  const status = sdk.$metadata?.httpStatusCode;
  const base = { name, message, ...(status !== undefined ? { status } : {}) };
  if (quirks.retryable?.includes(name)) return { ...base, class: FailureClass.Retryable, retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS };
  const deterministic = quirks.deterministic?.includes(name) ?? false;
  if (!deterministic && isThrottlingError(sdk as never)) {
    return { ...base, class: FailureClass.Retryable, retryAfterSeconds: THROTTLED_RETRY_AFTER_SECONDS };
  }
  const answered = status !== undefined || sdk.$fault !== undefined;
  if (!deterministic && (isTransientError(sdk as never) || isServerError(sdk as never) || sdk.$fault === 'server' || !answered)) {
    return { ...base, class: FailureClass.Retryable, retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS };
  }
  if (status === 401 || status === 403) return { ...base, class: FailureClass.Denied };
  return { ...base, class: FailureClass.Refused };
}

/**
 * Classifies an HTTP answer of a non-AWS dependency (the Kubernetes API server): 408, 429 and 5xx
 * are retryable (a Retry-After it sent is kept), 401/403 denied, other 4xx refused.
 */
export function classifyHttpStatus(status: number, message: string, retryAfterHeader?: string): DependencyFailure {
  const name = String(status);
  if (status === 408 || status === 429 || status >= 500) {
    const asked = Number(retryAfterHeader);
    const fallback = status === 429 ? THROTTLED_RETRY_AFTER_SECONDS : DEFAULT_RETRY_AFTER_SECONDS;
    const retryAfterSeconds = Number.isInteger(asked) && asked > 0 ? Math.min(asked, MAX_RETRY_AFTER_SECONDS) : fallback;
    return { class: FailureClass.Retryable, name, message, status, retryAfterSeconds };
  }
  if (status === 401 || status === 403) return { class: FailureClass.Denied, name, message, status };
  return { class: FailureClass.Refused, name, message, status };
}

/** An AWS error name as a stable code under a prefix: `IAM` + `MalformedPolicyDocumentException` → `IAM_MALFORMED_POLICY_DOCUMENT`. */
export function awsErrorCode(prefix: string, name: string): string {
  return `${prefix}_${name
    .replace(/Exception$/, '')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toUpperCase()}`;
}

export interface FailureTranslation {
  /** Code of the broker error; may depend on the failure (IAM's carry the AWS name). */
  code: string | ((failure: DependencyFailure) => string);
  message: string | ((failure: DependencyFailure) => string);
  details?: Record<string, unknown>;
  /**
   * Whom a `refused` answer blames: `request` — what the caller asked for (a policy IAM will not
   * take, a quota): 422; `broker` — the broker's own set-up or a bug: 502. `denied` is always the broker's.
   */
  refused: 'request' | 'broker';
  /** Refused with HTTP 409: the dependency's state clashes (a conflict the caller can see). */
  conflictIsConflict?: boolean;
}

/**
 * The one translation of a classified dependency failure into a broker error, keeping the original
 * as `cause` and the dependency's code in `details` (`awsError` for AWS, `status` for Kubernetes):
 * retryable → DependencyUnavailableError (503 + Retry-After); denied → DependencyRefusedError (502);
 * refused → ValidationError (422) or DependencyRefusedError (502), or ConflictError (409) when asked.
 */
export function toBrokerError(
  failure: DependencyFailure,
  cause: unknown,
  translation: FailureTranslation,
  dependencyCode: (failure: DependencyFailure) => Record<string, unknown>,
): BrokerError {
  const code = typeof translation.code === 'string' ? translation.code : translation.code(failure);
  const message = typeof translation.message === 'string' ? translation.message : translation.message(failure);
  const details = { ...translation.details, ...dependencyCode(failure) };
  if (failure.class === FailureClass.Retryable) {
    return new DependencyUnavailableError(code, message, {
      cause,
      details,
      retryAfterSeconds: failure.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS,
    });
  }
  if (failure.class === FailureClass.Refused && translation.conflictIsConflict && failure.status === 409) {
    return new ConflictError(code, message, { cause, details });
  }
  if (failure.class === FailureClass.Refused && translation.refused === 'request')
    return new ValidationError(code, message, { cause, details });
  return new DependencyRefusedError(code, message, { cause, details });
}

/** An AWS SDK error as a broker error: classified by the SDK's rules, the AWS error name in `details.awsError`. */
export function translateAwsError(error: unknown, translation: FailureTranslation, quirks?: ServiceQuirks): BrokerError {
  if (error instanceof BrokerError) return error;
  return toBrokerError(classifyAwsError(error, quirks), error, translation, (failure) => ({ awsError: failure.name }));
}
