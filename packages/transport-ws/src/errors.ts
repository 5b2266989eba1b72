/**
 * Every failure `@netlab/transport-ws` reports is a `WsError` whose `code` comes from this fixed
 * table (the same vocabulary as `@netlab/transport-tcp`: the shared transport codes of
 * `@netlab/ground` plus the limits TCP has), and whose `reason` says at which stage it happened.
 * Codes are stable API; messages are written for people. The ws library's own `WS_ERR_*` codes
 * (a bad frame, invalid UTF-8 in a text frame) are kept in `details.wsCode`.
 */
import { TRANSPORT_ERROR_CODES, checkInteger, describeSocketError } from '@netlab/ground';
import type { SessionFailure } from '@netlab/service';

export const WS_ERROR_CODES = {
  ...TRANSPORT_ERROR_CODES,
  /** Output queued for a peer that does not read passed `maxOutputBytes` ("SendQ exceeded"). */
  ERR_OUTPUT_LIMIT: 'output buffer limit exceeded',
  /** The server is at `maxConnections` and refused the connection (close code 1013). */
  ERR_TOO_MANY_CONNECTIONS: 'too many connections',
  /** The peer sent no complete message within `idleTimeoutMs`. */
  ERR_IDLE_TIMEOUT: 'idle timeout',
  /** The peer sent no complete message within `firstMessageTimeoutMs` of connecting. */
  ERR_FIRST_MESSAGE_TIMEOUT: 'no first message in time',
  /** The upgrade request was refused by `authorize` (HTTP 401/403) or sent to another path (404). */
  ERR_UNAUTHORIZED: 'upgrade refused',
  /** The server answered the upgrade with something other than 101 Switching Protocols. */
  ERR_HANDSHAKE: 'websocket handshake failed',
  /** The peer broke the WebSocket protocol (a bad frame, invalid UTF-8 in a text frame: ws's `WS_ERR_*`). */
  ERR_PROTOCOL: 'websocket protocol error',
  /** A frame larger than `maxPayloadBytes` (closed with 1009 before it was buffered). */
  ERR_MESSAGE_TOO_LARGE: 'websocket message too large',
} as const;

export type WsErrorCode = keyof typeof WS_ERROR_CODES;

/** The stage at which an error happened. */
export type WsErrorReason = 'open' | 'read' | 'write' | 'close';

export interface WsErrorOptions {
  readonly reason?: WsErrorReason;
  readonly cause?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error class of `@netlab/transport-ws`. */
export class WsError extends Error {
  override readonly name = 'WsError';
  readonly code: WsErrorCode;
  /** At which stage the error happened: connecting/listening, reading, writing or closing. */
  readonly reason: WsErrorReason;
  /** Machine-readable context: address, limits, the ws library's code. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: WsErrorCode, message?: string, options: WsErrorOptions = {}) {
    super(message ?? WS_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = options.reason ?? 'read';
    this.details = options.details ?? {};
  }
}

/** True when `value` is a {@link WsError}, optionally with the given code. */
export function isWsError(value: unknown, code?: WsErrorCode): value is WsError {
  return value instanceof WsError && (code === undefined || value.code === code);
}

/** Throws `ERR_INVALID_OPTION` unless `value` is an integer in [min, max]. */
export function assertIntegerOption(name: string, value: number, min: number, max: number): void {
  const problem = checkInteger(name, value, min, max);
  if (problem !== undefined) throw new WsError('ERR_INVALID_OPTION', problem.message, { reason: 'open', details: problem.details });
}

/**
 * Turns an error of a ws `WebSocket` (its `WS_ERR_*` protocol errors, or a Node socket error)
 * into a `WsError` naming the peer.
 */
export function fromWsError(error: unknown, host: string, port: number, reason: WsErrorReason): WsError {
  if (error instanceof WsError) return error;
  const wsCode = (error as { code?: unknown } | undefined)?.code;
  if (typeof wsCode === 'string' && wsCode.startsWith('WS_ERR_')) {
    const message = error instanceof Error ? error.message : String(error);
    const code: WsErrorCode = wsCode === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'ERR_MESSAGE_TOO_LARGE' : 'ERR_PROTOCOL';
    return new WsError(code, `${host}:${port}: ${message}`, { reason, cause: error, details: { wsCode } });
  }
  const described = describeSocketError(error, host, port, 'tcp');
  return new WsError(described.code, described.message, { reason, cause: error, details: described.details });
}

/** The typed error of a service failure the session driver reports (`ERR_MALFORMED_INPUT` or `ERR_SESSION_FAILED`). */
export function sessionFailureError(failure: SessionFailure, peerId: string, serviceName: string): WsError {
  if (failure.kind === 'input') {
    const cause = failure.cause;
    return new WsError('ERR_MALFORMED_INPUT', `malformed input from ${peerId}: ${cause.message}`, { reason: 'read', cause, details: { codecCode: cause.code } });
  }
  const detail = failure.cause instanceof Error ? failure.cause.message : String(failure.cause);
  if (failure.kind === 'close') return new WsError('ERR_SESSION_FAILED', `session close threw on ${peerId}: ${detail}`, { reason: 'close', cause: failure.cause });
  return new WsError('ERR_SESSION_FAILED', `service ${serviceName} failed on ${peerId}: ${detail}`, { reason: failure.kind === 'open' ? 'open' : 'read', cause: failure.cause });
}

/** The close reason's error of a connection that missed its first-message deadline (`first`) or its idle timeout. */
export function deadlineError(first: boolean, peerId: string, limitMs: number): WsError {
  return first
    ? new WsError('ERR_FIRST_MESSAGE_TIMEOUT', `closed ${peerId}: no first message within ${limitMs} ms`, { details: { firstMessageTimeoutMs: limitMs } })
    : new WsError('ERR_IDLE_TIMEOUT', `closed ${peerId}: no complete message for ${limitMs} ms`, { details: { idleTimeoutMs: limitMs } });
}
