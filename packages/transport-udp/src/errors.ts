/**
 * Every failure `@netlab/transport-udp` reports is a `UdpError` whose `code` comes from this
 * fixed table, and whose `reason` says at which stage it happened. Codes are stable API.
 */
export const UDP_ERROR_CODES = {
  /** No reply after every attempt (`retries + 1` sends, `timeoutMs` each). */
  ERR_REQUEST_TIMEOUT: 'request timed out',
  /** The server's host answered "port unreachable" (ICMP): nothing listens there. */
  ERR_CONNECTION_REFUSED: 'connection refused',
  /** No route to the host or network. */
  ERR_HOST_UNREACHABLE: 'host unreachable',
  /** The host name did not resolve. */
  ERR_HOST_NOT_FOUND: 'host not found',
  /** More requests outstanding than `maxPendingRequests`. */
  ERR_TOO_MANY_PENDING: 'too many pending requests',
  /** Two outstanding requests with the same correlation id. */
  ERR_DUPLICATE_REQUEST_ID: 'duplicate request id',
  /** A message could not be encoded (too large for one datagram, or refused by the codec). */
  ERR_ENCODE: 'cannot encode message',
  /** A datagram the codec rejected (too large, bad UTF-8, bad JSON...). */
  ERR_MALFORMED_INPUT: 'malformed datagram',
  /** A new peer was refused because `maxSessions` sessions are active. */
  ERR_TOO_MANY_SESSIONS: 'too many sessions',
  /** The service threw (contained to one peer session). */
  ERR_SESSION_FAILED: 'session failed',
  /** Cannot bind the address (in use, not allowed, not available). */
  ERR_BIND: 'cannot bind',
  /** The socket is closed (or closed while the operation was pending). */
  ERR_SOCKET_CLOSED: 'socket closed',
  /** Any other socket error (its errno is in `cause`). */
  ERR_SOCKET: 'socket error',
  /** A bad option value. */
  ERR_INVALID_OPTION: 'invalid option',
} as const;

export type UdpErrorCode = keyof typeof UDP_ERROR_CODES;

/** The stage at which an error happened. */
export type UdpErrorReason = 'open' | 'read' | 'write' | 'close';

export interface UdpErrorOptions {
  readonly reason?: UdpErrorReason;
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error class of `@netlab/transport-udp`. */
export class UdpError extends Error {
  override readonly name = 'UdpError';
  readonly code: UdpErrorCode;
  readonly reason: UdpErrorReason;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: UdpErrorCode, message?: string, options: UdpErrorOptions = {}) {
    super(message ?? UDP_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = options.reason ?? 'read';
    this.details = options.details ?? {};
  }
}

/** True when `value` is a {@link UdpError}, optionally with the given code. */
export function isUdpError(value: unknown, code?: UdpErrorCode): value is UdpError {
  return value instanceof UdpError && (code === undefined || value.code === code);
}

/** `127.0.0.1:5000`, `[::1]:5000`. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Throws `ERR_INVALID_OPTION` unless `value` is an integer in [min, max]. */
export function assertIntegerOption(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UdpError('ERR_INVALID_OPTION', `${name} must be an integer from ${min} to ${max}, got ${String(value)}`, {
      reason: 'open',
      details: { option: name, value, min, max },
    });
  }
}

/** Turns a Node socket error into a `UdpError` with a human message naming the address. */
export function fromSocketError(error: unknown, host: string, port: number, reason: UdpErrorReason): UdpError {
  if (error instanceof UdpError) return error;
  const errno = (error as { code?: unknown } | undefined)?.code;
  const where = formatAddress(host, port);
  const detail = error instanceof Error ? error.message : String(error);
  const details = { host, port, errno };
  switch (errno) {
    case 'ECONNREFUSED':
      return new UdpError('ERR_CONNECTION_REFUSED', `no server at udp ${where} (port unreachable)`, { reason, cause: error, details });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new UdpError('ERR_HOST_UNREACHABLE', `cannot reach udp ${where} (${errno})`, { reason, cause: error, details });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UdpError('ERR_HOST_NOT_FOUND', `cannot resolve host ${host}`, { reason, cause: error, details });
    case 'EADDRINUSE':
      return new UdpError('ERR_BIND', `cannot bind udp ${where}: address in use`, { reason, cause: error, details });
    case 'EACCES':
    case 'EADDRNOTAVAIL':
      return new UdpError('ERR_BIND', `cannot bind udp ${where}: ${detail}`, { reason, cause: error, details });
    default:
      return new UdpError('ERR_SOCKET', `socket error on udp ${where}: ${detail}`, { reason, cause: error, details });
  }
}
