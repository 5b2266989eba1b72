import type { FaultCounters } from './counters.js';
import type { FaultError } from './errors.js';

/**
 * What a fault proxy reports as it runs, for logs. `id` numbers connections (TCP) or clients (UDP)
 * in the order they arrived, which is also the label their PRNG fork is derived from.
 */
export type ProxyEvent =
  | { readonly type: 'open'; readonly id: number; readonly peer: string }
  | { readonly type: 'close'; readonly id: number; readonly peer: string }
  | { readonly type: 'reset'; readonly id: number; readonly peer: string }
  | { readonly type: 'closed-by-fault'; readonly id: number; readonly peer: string; readonly reason: 'timeout' | 'limit-data' }
  | { readonly type: 'upstream-error'; readonly id: number; readonly peer: string; readonly error: FaultError }
  | { readonly type: 'evicted'; readonly id: number; readonly peer: string };

/** A running fault proxy (TCP or UDP). */
export interface FaultProxy {
  readonly protocol: 'tcp' | 'udp';
  /** The bound listening address (the real port when 0 was asked for). */
  readonly host: string;
  readonly port: number;
  /** The upstream every client is forwarded to. */
  readonly upstreamHost: string;
  readonly upstreamPort: number;
  /** The seed every decision derives from. */
  readonly seed: number;
  /** Totals so far over all connections or clients, open and closed (a copy). */
  counters(): FaultCounters;
  /** Connections (TCP) or client addresses (UDP) seen, and upstream failures. */
  stats(): ProxyStats;
  /** Stops listening, closes every connection or client socket; resolves with the final counters. */
  close(): Promise<FaultCounters>;
}

export interface ProxyStats {
  /** Connections accepted (TCP) or client addresses seen (UDP), in total. */
  readonly sessions: number;
  /** Connections or client entries open now. */
  readonly open: number;
  /** Upstream refused, unreachable or timed out. */
  readonly upstreamErrors: number;
}

/** `127.0.0.1:5000` or `[::1]:5000`. */
export function formatAddress(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
