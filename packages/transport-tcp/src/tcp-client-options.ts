/**
 * The options, defaults and counters of `connectTcp` (its API, apart from the client in
 * `tcp-client.ts`), and their validation.
 */
import type { StreamCodec } from '@netlab/codec';
import { type Clock, MAX_TIMER_MS, type WireTap, systemClock } from '@netlab/ground';
import { assertIntegerOption } from './errors.js';
import type { TcpClientTlsOptions } from './tls.js';

/** Default connect timeout: 5 s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** Default `request()` timeout: 10 s. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Default cap on outstanding requests: 1024. */
export const DEFAULT_MAX_PENDING_REQUESTS = 1024;
/** Default pushed messages held for the iterator before reading pauses: 1024. */
export const DEFAULT_CLIENT_MAX_QUEUED_MESSAGES = 1024;
/** Default bytes `send` may leave queued in user space: 1 MiB. */
export const DEFAULT_CLIENT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Default time `close()` waits for the server to close its side before destroying: 2 s. */
export const DEFAULT_CLIENT_CLOSE_TIMEOUT_MS = 2000;

export interface ConnectTcpOptions<In, Out> {
  /** Framing and message codec of the protocol. Required. */
  readonly codec: StreamCodec<In, Out>;
  /** Server port. Required. */
  readonly port: number;
  /** Server host. Default {@link DEFAULT_HOST}. */
  readonly host?: string;
  /** Give up connecting after this long (`ERR_CONNECT_TIMEOUT`). Default {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  readonly connectTimeoutMs?: number;
  /** Default timeout of `request()` and `receive()`. Default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  readonly requestTimeoutMs?: number;
  /** Requests outstanding at once (`ERR_TOO_MANY_PENDING` past it). Default {@link DEFAULT_MAX_PENDING_REQUESTS}. */
  readonly maxPendingRequests?: number;
  /** Pushed messages held for the iterator before reading pauses. Default {@link DEFAULT_CLIENT_MAX_QUEUED_MESSAGES}. */
  readonly maxQueuedMessages?: number;
  /** Bytes `send` may leave queued in user space (`ERR_OUTPUT_LIMIT` past it). Default {@link DEFAULT_CLIENT_MAX_OUTPUT_BYTES}. */
  readonly maxOutputBytes?: number;
  /** Disable Nagle's algorithm. Default true. */
  readonly noDelay?: boolean;
  /** Clock for timeouts. Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Reports the connection's events and bytes (`--trace`). Default: the process tap (`@netlab/ground`), if set. */
  readonly tap?: WireTap;
  /**
   * Speak TLS, verifying the server's certificate (see {@link TcpClientTlsOptions}; `{}` trusts
   * Node's bundled roots). The handshake counts against `connectTimeoutMs`; a failed one rejects
   * with an `ERR_TLS_*` code saying why. Default: plain TCP.
   */
  readonly tls?: TcpClientTlsOptions;
}

export interface RequestOptions {
  /** Overrides the client's `requestTimeoutMs`. */
  readonly timeoutMs?: number;
}

/** Client counters (a snapshot). */
export interface TcpClientStats {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Replies that arrived for requests that had already timed out (dropped). */
  readonly lateReplies: number;
}

/** The settings a connected client runs with (every default applied). */
export type TcpClientSettings<In, Out> = Required<Pick<ConnectTcpOptions<In, Out>, 'requestTimeoutMs' | 'maxPendingRequests' | 'maxQueuedMessages' | 'maxOutputBytes' | 'clock'>>;

/** Applies the defaults and checks every limit (throws `ERR_INVALID_OPTION`). */
export function resolveClientSettings<In, Out>(options: ConnectTcpOptions<In, Out>): TcpClientSettings<In, Out> & { readonly connectTimeoutMs: number } {
  const settings = {
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    maxPendingRequests: options.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS,
    maxQueuedMessages: options.maxQueuedMessages ?? DEFAULT_CLIENT_MAX_QUEUED_MESSAGES,
    maxOutputBytes: options.maxOutputBytes ?? DEFAULT_CLIENT_MAX_OUTPUT_BYTES,
    clock: options.clock ?? systemClock,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
  };
  assertIntegerOption('port', options.port, 1, 65_535);
  assertIntegerOption('connectTimeoutMs', settings.connectTimeoutMs, 1, MAX_TIMER_MS);
  assertIntegerOption('requestTimeoutMs', settings.requestTimeoutMs, 0, MAX_TIMER_MS);
  assertIntegerOption('maxPendingRequests', settings.maxPendingRequests, 1, 1_000_000);
  assertIntegerOption('maxQueuedMessages', settings.maxQueuedMessages, 1, 1_000_000);
  assertIntegerOption('maxOutputBytes', settings.maxOutputBytes, 1, 2 ** 32);
  return settings;
}
