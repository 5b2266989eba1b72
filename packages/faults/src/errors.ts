/**
 * Every failure `@netlab/faults` reports is a `FaultError` whose `code` comes from this fixed
 * table. Codes are stable API: tools and tests match on them, never on messages.
 */
export const FAULT_ERROR_CODES = {
  /** A bad option value (a probability outside [0, 1], a negative delay, a zero cap...). */
  ERR_INVALID_OPTION: 'invalid option',
  /** More bytes were written to a stream wrapper than `maxBufferedBytes` allows. */
  ERR_BUFFER_FULL: 'stream buffer is full',
  /** The proxy could not bind its listening address (in use, not permitted, bad host). */
  ERR_LISTEN: 'cannot listen',
  /** The upstream refused the connection, was unreachable or timed out. */
  ERR_UPSTREAM_UNREACHABLE: 'upstream unreachable',
  /** A stream wrapper reset the connection (the `reset_peer` impairment fired). */
  ERR_CONNECTION_RESET: 'connection reset by the fault injector',
  /** A wrapper or proxy was used after `close()`. */
  ERR_CLOSED: 'already closed',
  /** The upstream is the proxy's own listening address: every datagram or connection would loop back into it. */
  ERR_UPSTREAM_IS_SELF: 'upstream is the proxy itself',
  /** A toxic (control API, scenario file) has an unknown type, an unknown attribute or a bad value. */
  ERR_INVALID_TOXIC: 'invalid toxic',
  /** A scenario file could not be read, parsed or validated (the message names the line). */
  ERR_CONFIG: 'invalid scenario file',
  /** Control API: a malformed request (bad JSON, unknown field, bad value): HTTP 400. */
  ERR_BAD_REQUEST: 'bad request',
  /** Control API: no such proxy or toxic: HTTP 404. */
  ERR_NOT_FOUND: 'not found',
  /** Control API: the proxy or toxic exists already, or the listen address is taken: HTTP 409. */
  ERR_CONFLICT: 'conflict',
  /** Control API: the request body is over the limit: HTTP 413. */
  ERR_BODY_TOO_LARGE: 'request body too large',
  /** Control API: a cross-origin request or a foreign Host header: HTTP 403. */
  ERR_FORBIDDEN: 'forbidden',
} as const;

export type FaultErrorCode = keyof typeof FAULT_ERROR_CODES;

export interface FaultErrorOptions {
  /** The underlying error, if any (a socket error...). */
  readonly cause?: unknown;
  /** Machine-readable context: the option name and value, the limit, the address. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error class of `@netlab/faults`. */
export class FaultError extends Error {
  override readonly name = 'FaultError';
  readonly code: FaultErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: FaultErrorCode, message?: string, options: FaultErrorOptions = {}) {
    super(message ?? FAULT_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `value` is a {@link FaultError}, optionally with the given code. */
export function isFaultError(value: unknown, code?: FaultErrorCode): value is FaultError {
  return value instanceof FaultError && (code === undefined || value.code === code);
}

/** The HTTP status the control API answers a code with (500 for the others). */
export const HTTP_STATUS_OF: Readonly<Partial<Record<FaultErrorCode, number>>> = {
  ERR_BAD_REQUEST: 400,
  ERR_INVALID_TOXIC: 400,
  ERR_INVALID_OPTION: 400,
  ERR_UPSTREAM_IS_SELF: 400,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  ERR_LISTEN: 409,
  ERR_BODY_TOO_LARGE: 413,
};
