/**
 * Every failure `@netlab/transport-udp` reports is a `UdpError` whose `code` comes from this
 * fixed table, and whose `reason` says at which stage it happened. Codes are stable API.
 *
 * The codes both transports share come from `@netlab/ground`'s one vocabulary, so the same event
 * has the same code over TCP and UDP. Changed (2026-12): `ERR_BIND` is now `ERR_LISTEN`, and
 * `ERR_SOCKET_CLOSED` is now `ERR_SERVER_CLOSED` (a closed server) or `ERR_CONNECTION_CLOSED`
 * (a closed client or peer), as over TCP.
 */
import { TRANSPORT_ERROR_CODES, checkInteger, describeSocketError } from '@netlab/ground';

export const UDP_ERROR_CODES = {
  ...TRANSPORT_ERROR_CODES,
  /** Two outstanding requests with the same correlation id. */
  ERR_DUPLICATE_REQUEST_ID: 'duplicate request id',
  /** A new peer was refused: `maxSessions` sessions are active and none of the oldest is idle. */
  ERR_TOO_MANY_SESSIONS: 'too many sessions',
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

/** Throws `ERR_INVALID_OPTION` unless `value` is an integer in [min, max]. */
export function assertIntegerOption(name: string, value: number, min: number, max: number): void {
  const problem = checkInteger(name, value, min, max);
  if (problem !== undefined) throw new UdpError('ERR_INVALID_OPTION', problem.message, { reason: 'open', details: problem.details });
}

/** Turns a Node socket error into a `UdpError` naming the address (the shared errno table decides the code). */
export function fromSocketError(error: unknown, host: string, port: number, reason: UdpErrorReason): UdpError {
  if (error instanceof UdpError) return error;
  const described = describeSocketError(error, host, port, 'udp');
  return new UdpError(described.code, described.message, { reason, cause: error, details: described.details });
}

/** The message of a thrown value. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
