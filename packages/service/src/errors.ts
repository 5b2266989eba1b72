/**
 * Every failure `@netlab/service` reports itself is a `ServiceError` whose `code` comes from this
 * fixed table. (Transports report session failures in their own classes: `TcpError`, `UdpError`.)
 */
export const SERVICE_ERROR_CODES = {
  /** `connectLocal`: a message sent to a closed connection, or one that closed before receiving it. */
  ERR_SESSION_CLOSED: 'session closed',
  /** `connectLocal`: the service threw something that is not an `Error`. */
  ERR_SESSION_FAILED: 'session failed',
} as const;

export type ServiceErrorCode = keyof typeof SERVICE_ERROR_CODES;

/** The one error class of `@netlab/service`. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  readonly code: ServiceErrorCode;

  constructor(code: ServiceErrorCode, message?: string, options: { readonly cause?: unknown } = {}) {
    super(message ?? SERVICE_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}

/** True when `value` is a {@link ServiceError}, optionally with the given code. */
export function isServiceError(value: unknown, code?: ServiceErrorCode): value is ServiceError {
  return value instanceof ServiceError && (code === undefined || value.code === code);
}
