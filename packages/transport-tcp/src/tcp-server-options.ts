/**
 * The options, defaults, events and handle of `createTcpServer` (its API, apart from the factory
 * in `tcp-server.ts`).
 */
import type { StreamCodec } from '@netlab/codec';
import { DEFAULT_HOST, type NetServer, type NetServerOptions, type ServerCloseOptions, type WireTap } from '@netlab/ground';
import type { CloseReason, Peer, Service } from '@netlab/service';
import type { TcpConnectionStats } from './connection-server.js';
import type { TcpError } from './errors.js';
import type { TcpAddress } from './tcp-address.js';
import type { TcpServerStats } from './tcp-server-stats.js';
import type { TcpServerTlsOptions } from './tls.js';

export { DEFAULT_HOST };
/** Default simultaneous connections: 1024. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** Default cap on output queued for one peer in user space: 1 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Default decoded messages waiting for the session before reading pauses: 256. */
export const DEFAULT_MAX_QUEUED_MESSAGES = 256;
/**
 * Default size at which output waiting to be coalesced is written at once: 16 KiB. Large enough
 * that a chat room's turn of lines to one member is one write; small enough that one write never
 * approaches the default output cap, so coalescing never makes a reading peer look slow.
 */
export const DEFAULT_COALESCE_BYTES = 16 * 1024;
/** Default idle timeout (no complete message): 5 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/**
 * Default first-message deadline: 60 s from connecting to the first complete message. Long
 * enough for a person at netcat or telnet to type a line; short enough that connections that
 * never say anything cannot hold the server's slots for the whole idle timeout.
 */
export const DEFAULT_FIRST_MESSAGE_TIMEOUT_MS = 60_000;
/** Default quiet-flush delay for flushable (line) codecs: 150 ms. */
export const DEFAULT_QUIET_FLUSH_MS = 150;
/** Default time a gracefully closed socket may take to finish before it is destroyed: 2 s. */
export const DEFAULT_CLOSE_LINGER_MS = 2000;
/** Default shutdown grace period of `close()`: 5 s. */
export const DEFAULT_GRACE_MS = 5000;

/** What the server reports through `onEvent`. */
export type TcpServerEvent =
  | { readonly type: 'listening'; readonly address: TcpAddress }
  | { readonly type: 'connection'; readonly peer: Peer }
  | { readonly type: 'rejected'; readonly peer: Peer; readonly error: TcpError }
  | { readonly type: 'close'; readonly peer: Peer; readonly reason: CloseReason; readonly stats: TcpConnectionStats }
  | { readonly type: 'error'; readonly peer: Peer | undefined; readonly error: TcpError }
  | { readonly type: 'log'; readonly peer: Peer; readonly message: string }
  | { readonly type: 'closed'; readonly stats: TcpServerStats };

/** `host`, `port`, `clock` (for `ctx.now()`, idle timeouts and quiet flush) and `onEvent` are `NetServerOptions` of `@netlab/ground`. */
export interface TcpServerOptions<In, Out> extends NetServerOptions<TcpServerEvent> {
  /** Framing and message codec of the protocol. Required. */
  readonly codec: StreamCodec<In, Out>;
  /** The service each connection opens a session of. Required. */
  readonly service: Service<In, Out>;
  /** Connections served at once; the excess is sent `busyReply` (if any) and closed. Default {@link DEFAULT_MAX_CONNECTIONS}. */
  readonly maxConnections?: number;
  /** Sent to a connection refused for `maxConnections` before it is closed (`stats().busyReplies`). Default: nothing. */
  readonly busyReply?: Out;
  /**
   * Bytes queued for one peer past which its connection is ended ("SendQ exceeded"): nothing more
   * is queued, what was queued (whole messages) is still written, then `overflowReply`, then a
   * graceful close. Default {@link DEFAULT_MAX_OUTPUT_BYTES}.
   */
  readonly maxOutputBytes?: number;
  /** Sent last to a peer whose output passed `maxOutputBytes` (e.g. `ERROR send queue exceeded`). Default: nothing. */
  readonly overflowReply?: Out;
  /**
   * Write coalescing. The replies to one received chunk always go out in one write; besides,
   * everything `ctx.send` sends a connection during one event-loop turn is written once, at the
   * end of the turn (a room broadcasting N lines costs one write per member, not N). Output
   * waiting to be coalesced is written at once when it reaches this many bytes, and counts
   * against `maxOutputBytes` from the moment it is sent. 0 writes each `ctx.send` at once.
   * Default {@link DEFAULT_COALESCE_BYTES}.
   */
  readonly coalesceBytes?: number;
  /** Decoded messages waiting for the session before reading pauses. Default {@link DEFAULT_MAX_QUEUED_MESSAGES}. */
  readonly maxQueuedMessages?: number;
  /** Close a connection with no complete message for this long; 0 disables. Default {@link DEFAULT_IDLE_TIMEOUT_MS}. */
  readonly idleTimeoutMs?: number;
  /**
   * Close a connection that sends no complete message within this long of connecting (a login
   * deadline, separate from the idle timeout; closes with `kind: 'idle'` and
   * `ERR_FIRST_MESSAGE_TIMEOUT`); 0 disables. Default {@link DEFAULT_FIRST_MESSAGE_TIMEOUT_MS}.
   */
  readonly firstMessageTimeoutMs?: number;
  /** Deliver a partial message after this much silence (flushable codecs only); 0 disables. Default {@link DEFAULT_QUIET_FLUSH_MS}. */
  readonly quietFlushMs?: number;
  /**
   * After a graceful close, destroy the socket if the peer has not closed within this time and
   * read nothing of what still waits for it (a peer that keeps reading gets more periods, up to
   * 30). Default {@link DEFAULT_CLOSE_LINGER_MS}.
   */
  readonly closeLingerMs?: number;
  /** Disable Nagle's algorithm (request/response latency). Default true. */
  readonly noDelay?: boolean;
  /**
   * Reports every connection's events and bytes (`--trace`, `--pcap`): a `@netlab/trace` tracer
   * or any `WireTap`. Default: the process tap (`setProcessWireTap` of `@netlab/ground`), if set.
   */
  readonly tap?: WireTap;
  /**
   * Serve TLS with this certificate and key: each connection's handshake runs first (under its
   * own deadline and cap, see {@link TcpServerTlsOptions}); a failed one is reported as a
   * `rejected` event with an `ERR_TLS_*` code and counted in `stats().tlsHandshakeFailures`.
   * Everything after the handshake (limits, backpressure, deadlines, codes) is as without TLS;
   * byte counters count the plain text. Default: plain TCP.
   */
  readonly tls?: TcpServerTlsOptions;
}

/** `close()` options: `graceMs` (default {@link DEFAULT_GRACE_MS}). */
export type TcpCloseOptions = ServerCloseOptions;

/**
 * The lifecycle of `@netlab/ground`'s `NetServer`. `close()` stops accepting, lets every
 * connection finish the messages it already received and flush its replies, destroys whatever is
 * left after `graceMs`, and resolves once every socket is closed.
 */
export interface TcpServer extends NetServer<TcpAddress, TcpServerStats> {
  /** Connections currently served. */
  readonly connections: number;
  /** SHA-256 fingerprint (colon hex) of the TLS certificate served; undefined without TLS. */
  readonly fingerprint256: string | undefined;
}
