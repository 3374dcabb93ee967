/**
 * Typed domain errors. Each carries a stable `code` (part of the public API) and a `kind` that the
 * HTTP error middleware maps to a status; the domain itself knows nothing about HTTP.
 */
export const ErrorKind = {
  BadRequest: 'bad-request',
  UnsupportedMediaType: 'unsupported-media-type',
  NotAcceptable: 'not-acceptable',
  Invalid: 'invalid',
  NotFound: 'not-found',
  Conflict: 'conflict',
  Forbidden: 'forbidden',
  Unauthenticated: 'unauthenticated',
  Unavailable: 'unavailable',
  DependencyRefused: 'dependency-refused',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

export interface BrokerErrorOptions {
  details?: unknown;
  cause?: unknown;
}

/** Base of every error the broker raises on purpose. */
export class BrokerError extends Error {
  override name = 'BrokerError';
  readonly details: unknown;

  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    options: BrokerErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.details = options.details;
  }
}

/** The request body is not well-formed (for example, malformed JSON). */
export class MalformedRequestError extends BrokerError {
  override name = 'MalformedRequestError';
  constructor(code: string, message: string, options?: BrokerErrorOptions) {
    super(ErrorKind.BadRequest, code, message, options);
  }
}

/** The request body arrived in a media type the route does not accept. */
export class UnsupportedMediaTypeError extends BrokerError {
  override name = 'UnsupportedMediaTypeError';
  constructor(message: string, options?: BrokerErrorOptions) {
    super(ErrorKind.UnsupportedMediaType, 'UNSUPPORTED_MEDIA_TYPE', message, options);
  }
}

/** The client accepts no media type the route can answer in. */
export class NotAcceptableError extends BrokerError {
  override name = 'NotAcceptableError';
  constructor(message: string, options?: BrokerErrorOptions) {
    super(ErrorKind.NotAcceptable, 'NOT_ACCEPTABLE', message, options);
  }
}

/** Well-formed input that breaks a schema, a rule or an IAM limit. */
export class ValidationError extends BrokerError {
  override name = 'ValidationError';
  constructor(code: string, message: string, options?: BrokerErrorOptions) {
    super(ErrorKind.Invalid, code, message, options);
  }
}

/** A plan would break one of IAM's quotas; `details` names the limit and both numbers. */
export class IamLimitExceededError extends ValidationError {
  override name = 'IamLimitExceededError';
  constructor(code: string, what: string, limit: number, actual: number) {
    super(code, `${what} is ${actual}; the limit is ${limit}`, { details: { limit, actual } });
  }
}

/** A named thing (cluster, request) does not exist. */
export class NotFoundError extends BrokerError {
  override name = 'NotFoundError';
  constructor(code: string, message: string, options?: BrokerErrorOptions) {
    super(ErrorKind.NotFound, code, message, options);
  }
}

/** Seconds a caller should wait before retrying a dependency that did not answer (throttling asks for more). */
export const DEFAULT_RETRY_AFTER_SECONDS = 2;

/**
 * A dependency (AWS, Kubernetes) failed in a way that the same call may succeed later: throttled,
 * timed out, unreachable, a 5xx. The caller may retry after `retryAfterSeconds`.
 */
export class DependencyUnavailableError extends BrokerError {
  override name = 'DependencyUnavailableError';
  readonly retryAfterSeconds: number;
  constructor(code: string, message: string, options: BrokerErrorOptions & { retryAfterSeconds?: number } = {}) {
    super(ErrorKind.Unavailable, code, message, options);
    this.retryAfterSeconds = options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  }
}

/**
 * A dependency refused the broker itself — its IAM permissions, a spoke's trust, RBAC in a cluster,
 * a missing table — the same way every time: retrying cannot help until an operator fixes the set-up,
 * and the caller cannot fix it by changing the request. `details` carries the dependency's own code.
 */
export class DependencyRefusedError extends BrokerError {
  override name = 'DependencyRefusedError';
  constructor(code: string, message: string, options?: BrokerErrorOptions) {
    super(ErrorKind.DependencyRefused, code, message, options);
  }
}

/** Whether repeating what failed, unchanged, may succeed: only a dependency that did not answer. */
export function isRetryable(error: unknown): boolean {
  return error instanceof DependencyUnavailableError;
}

/** The caller did not prove who they are; `code` says how the proof fell short (default UNAUTHENTICATED). */
export class UnauthenticatedError extends BrokerError {
  override name = 'UnauthenticatedError';
  constructor(message: string, options: BrokerErrorOptions & { code?: string } = {}) {
    super(ErrorKind.Unauthenticated, options.code ?? 'UNAUTHENTICATED', message, options);
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends BrokerError {
  override name = 'ForbiddenError';
  constructor(code: string, message: string, options?: BrokerErrorOptions) {
    super(ErrorKind.Forbidden, code, message, options);
  }
}

/** The request clashes with the current state (an illegal transition, a reused key, a lost race). */
export class ConflictError extends BrokerError {
  override name = 'ConflictError';
  constructor(code: string, message: string, options?: BrokerErrorOptions) {
    super(ErrorKind.Conflict, code, message, options);
  }
}
