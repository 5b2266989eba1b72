/**
 * Every failure `@netlab/transport-tcp` reports is a `TcpError` whose `code` comes from this
 * fixed table, and whose `reason` says at which stage it happened. Codes are stable API: tools and
 * tests match on them, never on messages. Messages are written for people
 * ("no server at 127.0.0.1:5000").
 */
export const TCP_ERROR_CODES = {
  /** Nothing listens at the address (ECONNREFUSED). */
  ERR_CONNECTION_REFUSED: 'connection refused',
  /** The connection attempt did not complete within `connectTimeoutMs`. */
  ERR_CONNECT_TIMEOUT: 'connect timed out',
  /** No route to the host or network (EHOSTUNREACH, ENETUNREACH). */
  ERR_HOST_UNREACHABLE: 'host unreachable',
  /** The host name did not resolve (ENOTFOUND, EAI_AGAIN). */
  ERR_HOST_NOT_FOUND: 'host not found',
  /** The peer reset the connection (ECONNRESET) or the pipe broke (EPIPE). */
  ERR_CONNECTION_RESET: 'connection reset by peer',
  /** The connection is closed (or closed while the operation was pending). */
  ERR_CONNECTION_CLOSED: 'connection closed',
  /** A `request()` got no reply within its timeout. */
  ERR_REQUEST_TIMEOUT: 'request timed out',
  /** More `request()` calls outstanding than `maxPendingRequests`. */
  ERR_TOO_MANY_PENDING: 'too many pending requests',
  /** Output buffered for a peer that does not read passed `maxOutputBytes` ("SendQ exceeded"). */
  ERR_OUTPUT_LIMIT: 'output buffer limit exceeded',
  /** The server is at `maxConnections` and refused the connection. */
  ERR_TOO_MANY_CONNECTIONS: 'too many connections',
  /** The peer sent no complete message within `idleTimeoutMs`. */
  ERR_IDLE_TIMEOUT: 'idle timeout',
  /** The codec rejected the peer's bytes; the stream can no longer be trusted. */
  ERR_MALFORMED_INPUT: 'malformed input',
  /** A message could not be encoded (the codec refused it). */
  ERR_ENCODE: 'cannot encode message',
  /** The service threw (a bug in the service, reported and contained to one connection). */
  ERR_SESSION_FAILED: 'session failed',
  /** The address to listen on is in use or not allowed (EADDRINUSE, EACCES, EADDRNOTAVAIL). */
  ERR_LISTEN: 'cannot listen',
  /** The server is closing or closed. */
  ERR_SERVER_CLOSED: 'server closed',
  /** Any other socket error (its errno is in `cause`). */
  ERR_SOCKET: 'socket error',
  /** A bad option value. */
  ERR_INVALID_OPTION: 'invalid option',
} as const;

export type TcpErrorCode = keyof typeof TCP_ERROR_CODES;

/** The stage at which an error happened. */
export type TcpErrorReason = 'open' | 'read' | 'write' | 'close';

export interface TcpErrorOptions {
  readonly reason?: TcpErrorReason;
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error class of `@netlab/transport-tcp`. */
export class TcpError extends Error {
  override readonly name = 'TcpError';
  readonly code: TcpErrorCode;
  /** At which stage the error happened: connecting/listening, reading, writing or closing. */
  readonly reason: TcpErrorReason;
  /** Machine-readable context: address, limits, timeouts. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: TcpErrorCode, message?: string, options: TcpErrorOptions = {}) {
    super(message ?? TCP_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = options.reason ?? 'read';
    this.details = options.details ?? {};
  }
}

/** True when `value` is a {@link TcpError}, optionally with the given code. */
export function isTcpError(value: unknown, code?: TcpErrorCode): value is TcpError {
  return value instanceof TcpError && (code === undefined || value.code === code);
}

/** `127.0.0.1:5000`, `[::1]:5000`. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Throws `ERR_INVALID_OPTION` unless `value` is an integer in [min, max]. */
export function assertIntegerOption(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new TcpError('ERR_INVALID_OPTION', `${name} must be an integer from ${min} to ${max}, got ${String(value)}`, {
      reason: 'open',
      details: { option: name, value, min, max },
    });
  }
}

/**
 * Turns a Node socket error into a `TcpError` with a human message naming the address.
 * Connect-stage errnos get their own codes; the rest keep the errno in `cause`.
 */
export function fromSocketError(error: unknown, host: string, port: number, reason: TcpErrorReason): TcpError {
  if (error instanceof TcpError) return error;
  const errno = (error as { code?: unknown } | undefined)?.code;
  const where = formatAddress(host, port);
  const detail = error instanceof Error ? error.message : String(error);
  const details = { host, port, errno };
  switch (errno) {
    case 'ECONNREFUSED':
      return new TcpError('ERR_CONNECTION_REFUSED', `no server at ${where} (connection refused)`, { reason, cause: error, details });
    case 'ETIMEDOUT':
      return new TcpError('ERR_CONNECT_TIMEOUT', `no answer from ${where} (connect timed out)`, { reason, cause: error, details });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new TcpError('ERR_HOST_UNREACHABLE', `cannot reach ${where} (${errno})`, { reason, cause: error, details });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new TcpError('ERR_HOST_NOT_FOUND', `cannot resolve host ${host}`, { reason, cause: error, details });
    case 'ECONNRESET':
    case 'EPIPE':
      return new TcpError('ERR_CONNECTION_RESET', `connection to ${where} reset by peer`, { reason, cause: error, details });
    case 'EADDRINUSE':
      return new TcpError('ERR_LISTEN', `cannot listen on ${where}: address in use`, { reason, cause: error, details });
    case 'EACCES':
    case 'EADDRNOTAVAIL':
      return new TcpError('ERR_LISTEN', `cannot listen on ${where}: ${detail}`, { reason, cause: error, details });
    default:
      return new TcpError('ERR_SOCKET', `socket error on ${where}: ${detail}`, { reason, cause: error, details });
  }
}
