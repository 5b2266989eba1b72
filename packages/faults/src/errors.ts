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
