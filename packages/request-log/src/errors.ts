/**
 * Every failure `@netlab/request-log` reports is a `RequestLogError` whose `code` comes from this
 * fixed table. Codes are stable API (they also travel on the wire in error replies): match on
 * them, never on messages.
 *
 * What each code tells the caller about the request's fate matters more than its wording:
 * - applied exactly once, reply lost or unusable: `ERR_STALE`;
 * - definitely not applied: `ERR_EFFECT_FAILED`, `ERR_MISMATCH`, `ERR_WINDOW_EXCEEDED`,
 *   `ERR_INVALID_REQUEST`, `ERR_UNAUTHENTICATED`;
 * - not known: `ERR_OUTCOME_UNKNOWN`, `ERR_SESSION_EXPIRED` (retrying the same id may resolve the
 *   first; nothing can resolve the second).
 */
import { checkInteger } from '@netlab/ground';

export const REQUEST_LOG_ERROR_CODES = {
  /** The sequence is at or below the client's acknowledged watermark: its reply was already delivered, it is never re-run. */
  ERR_STALE: 'request is at or below the acknowledged watermark',
  /** The same (clientId, seq) arrived with a different payload; `details.fields` names the differing fields. */
  ERR_MISMATCH: 'request id reused with a different payload',
  /** A concurrent duplicate waited `waitTimeoutMs` and the original had still not finished; retry the same id. */
  ERR_IN_PROGRESS: 'the original request is still in progress',
  /** The client gave up retransmitting; the id is kept, `client.retry(seq)` may still resolve it. */
  ERR_OUTCOME_UNKNOWN: 'outcome unknown: no reply received',
  /** The effect threw; its writes were rolled back and this failure is the request's recorded outcome. */
  ERR_EFFECT_FAILED: 'the effect failed and was rolled back',
  /** The server no longer knows this client (its lease expired); start a new client id. */
  ERR_SESSION_EXPIRED: 'client session expired on the server',
  /** The sequence is more than `maxInFlight` above the watermark; nothing was run or stored. */
  ERR_WINDOW_EXCEEDED: 'sequence is beyond the in-flight window',
  /** The request envelope or payload is not valid (not JSON, ack ≥ seq, ...). */
  ERR_INVALID_REQUEST: 'invalid request',
  /**
   * The envelope is not authenticated for its client id (no MAC, a wrong MAC, or a session that
   * belongs to another client id); it was neither run nor recorded and moved no watermark.
   */
  ERR_UNAUTHENTICATED: 'envelope not authenticated for this client id',
  /** The store failed before deciding (busy, disconnected); nothing was recorded; retry the same id. */
  ERR_UNAVAILABLE: 'store unavailable, nothing recorded',
  /**
   * The store failed for good (a damaged SQLite file: `SQLITE_CORRUPT`, `SQLITE_NOTADB`); nothing
   * more can be recorded, and the server should stop rather than answer `ERR_UNAVAILABLE` forever.
   */
  ERR_STORE_FAILED: 'the store failed for good',
  /** A synchronous store (memory, SQLite) was given an effect that returned a promise. */
  ERR_ASYNC_EFFECT: 'this store needs a synchronous effect',
  /** The client or server is closed. */
  ERR_CLOSED: 'closed',
  /** A bad option value. */
  ERR_INVALID_OPTION: 'invalid option',
} as const;

export type RequestLogErrorCode = keyof typeof REQUEST_LOG_ERROR_CODES;

export interface RequestLogErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
  /** The request id concerned, when there is one. */
  readonly clientId?: string;
  readonly seq?: number;
  /** Machine-readable context (`fields` for ERR_MISMATCH, `ack` for ERR_STALE, limits...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error class of `@netlab/request-log`. */
export class RequestLogError extends Error {
  override readonly name = 'RequestLogError';
  readonly code: RequestLogErrorCode;
  readonly clientId: string | undefined;
  readonly seq: number | undefined;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: RequestLogErrorCode, message?: string, options: RequestLogErrorOptions = {}) {
    super(message ?? REQUEST_LOG_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.clientId = options.clientId;
    this.seq = options.seq;
    this.details = options.details ?? {};
  }
}

/** True when `value` is a {@link RequestLogError}, optionally with the given code. */
export function isRequestLogError(value: unknown, code?: RequestLogErrorCode): value is RequestLogError {
  return value instanceof RequestLogError && (code === undefined || value.code === code);
}

/** Throws `ERR_INVALID_OPTION` unless `value` is an integer in [min, max] (the ground floor's one range check). */
export function assertIntegerOption(name: string, value: number, min: number, max: number): void {
  const problem = checkInteger(name, value, min, max);
  if (problem !== undefined) throw new RequestLogError('ERR_INVALID_OPTION', problem.message, { details: problem.details });
}
