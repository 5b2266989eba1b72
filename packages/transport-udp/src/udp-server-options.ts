/**
 * The options, defaults, events, counters and handle of `createUdpServer` (its API, apart from
 * the factory in `udp-server.ts`).
 */
import type { DatagramCodec } from '@netlab/codec';
import { DEFAULT_HOST, type NetServer, type NetServerOptions, type ServerCloseOptions, type WireTap } from '@netlab/ground';
import type { CloseReason, Peer, Service } from '@netlab/service';
import type { UdpError } from './errors.js';
import type { UdpAddress } from './udp-address.js';

export { DEFAULT_HOST };
/** Default per-peer session expiry: 60 s of silence. */
export const DEFAULT_SESSION_TTL_MS = 60_000;
/** Default cap on simultaneous peer sessions: 10,000. */
export const DEFAULT_MAX_SESSIONS = 10_000;
/** Default datagrams queued per session while a `receive` is pending: 64. */
export const DEFAULT_MAX_QUEUED_DATAGRAMS = 64;
/** Default shutdown grace period: 2 s. */
export const DEFAULT_GRACE_MS = 2000;
/** Oldest sessions looked at for an idle one to evict before a newcomer is refused: 64. */
export const EVICTION_SCAN_LIMIT = 64;

/** Server counters (a snapshot). */
export interface UdpServerStats {
  readonly datagramsIn: number;
  readonly datagramsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Datagrams the codec rejected (answered through `service.malformed`, or dropped). */
  readonly malformed: number;
  /** Datagrams dropped: queue full, server closing. */
  readonly dropped: number;
  /** New peers refused: `maxSessions` reached and none of the oldest sessions idle. */
  readonly rejected: number;
  /** Refused peers that were sent `busyReply`. */
  readonly busyReplies: number;
  /** Idle sessions closed to make room for a new peer. */
  readonly evicted: number;
  readonly sessionsOpened: number;
  readonly sessionsActive: number;
  readonly sessionsExpired: number;
  readonly errors: number;
}

export type UdpServerEvent =
  | { readonly type: 'listening'; readonly address: UdpAddress }
  | { readonly type: 'session'; readonly peer: Peer }
  | { readonly type: 'close'; readonly peer: Peer; readonly reason: CloseReason }
  | { readonly type: 'malformed'; readonly peer: Peer; readonly error: UdpError; readonly answered: boolean }
  | { readonly type: 'rejected'; readonly peer: Peer; readonly error: UdpError }
  | { readonly type: 'evicted'; readonly peer: Peer; readonly newcomer: Peer }
  | { readonly type: 'dropped'; readonly peer: Peer; readonly why: 'queue-full' | 'closing' }
  | { readonly type: 'error'; readonly peer: Peer | undefined; readonly error: UdpError }
  | { readonly type: 'log'; readonly peer: Peer; readonly message: string }
  | { readonly type: 'closed'; readonly stats: UdpServerStats };

/** `host` (an IPv6 address binds an IPv6 socket), `port`, `clock` (for `ctx.now()` and expiry) and `onEvent` are `NetServerOptions` of `@netlab/ground`. */
export interface UdpServerOptions<In, Out> extends NetServerOptions<UdpServerEvent> {
  /** Message codec and datagram size limit. Required. */
  readonly codec: DatagramCodec<In, Out>;
  /** The service sessions are opened from. Required. */
  readonly service: Service<In, Out>;
  /** `'per-peer'`: one session per address:port, with expiry. `'per-datagram'`: one per datagram. Default `'per-peer'`. */
  readonly sessions?: 'per-peer' | 'per-datagram';
  /** Close a peer session after this much silence. Default {@link DEFAULT_SESSION_TTL_MS}. */
  readonly sessionTtlMs?: number;
  /** Peer sessions at once; a new peer past it evicts the least recently active idle session. Default {@link DEFAULT_MAX_SESSIONS}. */
  readonly maxSessions?: number;
  /** Sent to a new peer refused because every session it could evict is busy. Default: nothing. */
  readonly busyReply?: Out;
  /** Datagrams per session waiting for a pending `receive`; more are dropped. Default {@link DEFAULT_MAX_QUEUED_DATAGRAMS}. */
  readonly maxQueuedDatagrams?: number;
  /**
   * Reports every datagram received and sent, one flow per peer address (`--trace`, `--pcap`).
   * Default: the process tap (`setProcessWireTap` of `@netlab/ground`), if set.
   */
  readonly tap?: WireTap;
}

/** Peers a traced server keeps a flow for; the oldest is forgotten past it (a returning peer gets a new flow id). */
export const MAX_TRACED_PEERS = 4096;

/** `close()` options: `graceMs` (default {@link DEFAULT_GRACE_MS}). */
export type UdpCloseOptions = ServerCloseOptions;

/**
 * The lifecycle of `@netlab/ground`'s `NetServer`. `close()` stops handling datagrams (new ones
 * are dropped and counted), lets every session finish the datagrams it already received, closes
 * what is left after `graceMs`, then the socket.
 */
export interface UdpServer extends NetServer<UdpAddress, UdpServerStats> {
  /** Active peer sessions. */
  readonly sessions: number;
}
