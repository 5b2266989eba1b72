/**
 * What every connection of one TCP server shares (one object per server, internal to
 * `createTcpServer`), and what a connection reports when it closes.
 */
import type { Decoder } from '@netlab/codec';
import type { Clock, WireTap } from '@netlab/ground';
import type { CloseReason, Peer, SessionDriverOptions } from '@netlab/service';
import type { TcpError } from './errors.js';
import type { IdleList } from './idle-list.js';
import type { OutputConfig } from './output-queue.js';
import type { ServerConnection } from './server-connection.js';
import type { MutableTcpServerStats } from './tcp-server-stats.js';

/** Linger periods a slowly reading peer may get after a graceful end: 30 (a minute by default). */
export const MAX_LINGER_PERIODS = 30;

/** Traffic of one connection, reported when it closes. */
export interface TcpConnectionStats {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Socket writes that carried them: fewer than `messagesOut` when output was coalesced. */
  readonly writes: number;
  /** Milliseconds from accept to close, by the injected clock. */
  readonly durationMs: number;
}

/** What a connection needs from its server. */
export interface ConnectionServer<In, Out> {
  readonly driver: SessionDriverOptions<In, Out>;
  readonly output: OutputConfig<Out>;
  readonly createDecoder: () => Decoder<In>;
  /** The codec's decoders can flush a partial message (quiet flush applies). */
  readonly flushable: boolean;
  readonly quietFlushMs: number;
  readonly closeLingerMs: number;
  /** Connections that have sent no complete message yet; undefined when neither deadline applies. */
  readonly firstMessage: IdleList | undefined;
  /** Which deadline the `firstMessage` list enforces (its timeout is the shorter of the two). */
  readonly firstMessageIs: 'first-message' | 'idle';
  readonly firstMessageTimeoutMs: number;
  readonly idle: IdleList | undefined;
  readonly idleTimeoutMs: number;
  readonly clock: Clock;
  readonly stats: MutableTcpServerStats;
  /** Where connections report their events and bytes; undefined = not traced (nothing is built). */
  readonly tap: WireTap | undefined;
  onLog(peer: Peer, message: string): void;
  onError(peer: Peer, error: TcpError): void;
  onClosed(connection: ServerConnection<In, Out>, reason: CloseReason, stats: TcpConnectionStats): void;
}
