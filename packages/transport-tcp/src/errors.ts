/**
 * Every failure `@netlab/transport-tcp` reports is a `TcpError` whose `code` comes from this
 * fixed table, and whose `reason` says at which stage it happened. Codes are stable API: tools and
 * tests match on them, never on messages. Messages are written for people
 * ("no server at 127.0.0.1:5000").
 *
 * The codes both transports share (refused, reset, listen, server closed, ...) come from
 * `@netlab/ground`'s one vocabulary, so the same event has the same code over TCP and UDP; the
 * rest are TCP's own.
 */
import { TRANSPORT_ERROR_CODES, checkInteger, describeSocketError } from '@netlab/ground';
import type { SessionFailure } from '@netlab/service';

export const TCP_ERROR_CODES = {
  ...TRANSPORT_ERROR_CODES,
  /** Output buffered for a peer that does not read passed `maxOutputBytes` ("SendQ exceeded"). */
  ERR_OUTPUT_LIMIT: 'output buffer limit exceeded',
  /** The server is at `maxConnections` and refused the connection. */
  ERR_TOO_MANY_CONNECTIONS: 'too many connections',
  /** The peer sent no complete message within `idleTimeoutMs`. */
  ERR_IDLE_TIMEOUT: 'idle timeout',
  /** The peer sent no complete message within `firstMessageTimeoutMs` of connecting. */
  ERR_FIRST_MESSAGE_TIMEOUT: 'no first message in time',
  /** The `tls` option cannot be used: a certificate or key that does not parse, a key that does not match, a bad fingerprint. */
  ERR_TLS_CONFIG: 'invalid TLS configuration',
  /** The server's certificate chain does not lead to a trusted CA (self-signed, or signed by a CA the client was not given). */
  ERR_TLS_UNKNOWN_CA: 'certificate signed by an unknown CA',
  /** The server's certificate does not name the host the client asked for (`subjectAltName`). */
  ERR_TLS_NAME_MISMATCH: 'certificate name mismatch',
  /** The server's certificate has expired. */
  ERR_TLS_CERT_EXPIRED: 'certificate expired',
  /** The server's certificate is not valid yet (a clock behind, or a certificate from the future). */
  ERR_TLS_CERT_NOT_YET_VALID: 'certificate not yet valid',
  /** The server's certificate is not the one pinned with `fingerprint256`. */
  ERR_TLS_FINGERPRINT_MISMATCH: 'certificate fingerprint mismatch',
  /** The peer does not speak TLS (plain text where a TLS record was expected). */
  ERR_TLS_NOT_TLS: 'peer does not speak TLS',
  /** The TLS handshake did not finish within its deadline. */
  ERR_TLS_HANDSHAKE_TIMEOUT: 'TLS handshake timed out',
  /** Any other TLS handshake failure (no common version or cipher, an alert from the peer, the peer closed mid-handshake); the OpenSSL reason is in the message and `cause`. */
  ERR_TLS_HANDSHAKE: 'TLS handshake failed',
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

/** Throws `ERR_INVALID_OPTION` unless `value` is an integer in [min, max]. */
export function assertIntegerOption(name: string, value: number, min: number, max: number): void {
  const problem = checkInteger(name, value, min, max);
  if (problem !== undefined) throw new TcpError('ERR_INVALID_OPTION', problem.message, { reason: 'open', details: problem.details });
}

/** Turns a Node socket error into a `TcpError` naming the address (the shared errno table decides the code). */
export function fromSocketError(error: unknown, host: string, port: number, reason: TcpErrorReason): TcpError {
  if (error instanceof TcpError) return error;
  const described = describeSocketError(error, host, port, 'tcp');
  return new TcpError(described.code, described.message, { reason, cause: error, details: described.details });
}

/** The typed error of a service failure the session driver reports (`ERR_MALFORMED_INPUT` or `ERR_SESSION_FAILED`). */
export function sessionFailureError(failure: SessionFailure, peerId: string, serviceName: string): TcpError {
  if (failure.kind === 'input') {
    const cause = failure.cause;
    return new TcpError('ERR_MALFORMED_INPUT', `malformed input from ${peerId}: ${cause.message}`, { reason: 'read', cause, details: { codecCode: cause.code } });
  }
  const detail = failure.cause instanceof Error ? failure.cause.message : String(failure.cause);
  if (failure.kind === 'close') return new TcpError('ERR_SESSION_FAILED', `session close threw on ${peerId}: ${detail}`, { reason: 'close', cause: failure.cause });
  return new TcpError('ERR_SESSION_FAILED', `service ${serviceName} failed on ${peerId}: ${detail}`, { reason: failure.kind === 'open' ? 'open' : 'read', cause: failure.cause });
}

/** The close reason's error of a connection that missed its first-message deadline (`first`) or its idle timeout. */
export function deadlineError(first: boolean, peerId: string, limitMs: number, bufferedBytes: number): TcpError {
  return first
    ? new TcpError('ERR_FIRST_MESSAGE_TIMEOUT', `closed ${peerId}: no first message within ${limitMs} ms`, { details: { firstMessageTimeoutMs: limitMs, bufferedBytes } })
    : new TcpError('ERR_IDLE_TIMEOUT', `closed ${peerId}: no complete message for ${limitMs} ms`, { details: { idleTimeoutMs: limitMs, bufferedBytes } });
}
