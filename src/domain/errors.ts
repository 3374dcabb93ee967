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

/** A dependency (AWS, Kubernetes) failed in a way the caller may retry. */
export class DependencyUnavailableError extends BrokerError {
  override name = 'DependencyUnavailableError';
  constructor(code: string, message: string, options?: BrokerErrorOptions) {
    super(ErrorKind.Unavailable, code, message, options);
  }
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
