import { formatHostPort } from '@netlab/ground';
import type { Direction, FaultCounters } from './counters.js';
import type { FaultError } from './errors.js';
import type { FaultDecision } from './fault-decision.js';
import type { HoldState } from './hold-queue.js';
import type { ToxicStats } from './toxic-board.js';
import type { Toxic } from './toxics.js';

/**
 * What a fault proxy reports as it runs, for logs and live views. `id` numbers connections (TCP)
 * or clients (UDP) in the order they arrived, which is also the label their PRNG fork is derived
 * from (the "flow id"). `time` is ms since the Unix epoch. The JSON form on the control API's
 * event stream is documented in docs/faults.md ("Events").
 */
export type ProxyEvent =
  | { readonly type: 'open'; readonly id: number; readonly peer: string }
  | { readonly type: 'close'; readonly id: number; readonly peer: string }
  | { readonly type: 'reset'; readonly id: number; readonly peer: string }
  | { readonly type: 'closed-by-fault'; readonly id: number; readonly peer: string; readonly reason: 'timeout' | 'limit-data' }
  | { readonly type: 'upstream-error'; readonly id: number; readonly peer: string; readonly error: FaultError }
  | { readonly type: 'evicted'; readonly id: number; readonly peer: string }
  /** A fault decision: what, where (byte offset or datagram number), by which toxics (empty: the proxy's own options). */
  | {
      readonly type: 'fault';
      readonly id: number;
      readonly peer: string;
      readonly direction: Direction;
      readonly time: number;
      readonly seed: number;
      readonly toxics: readonly string[];
      readonly decision: FaultDecision;
    }
  /** A chunk or datagram handed on, with its bytes: only built while a listener asked for data. */
  | {
      readonly type: 'data';
      readonly id: number;
      readonly peer: string;
      readonly direction: Direction;
      readonly time: number;
      /** Sender and receiver: the client and the upstream (server), in this direction's order. */
      readonly from: string;
      readonly to: string;
      readonly bytes: Uint8Array;
      /** TCP: the byte offset of `bytes` in this direction; UDP: the datagram's number. */
      readonly offset?: number;
      readonly datagram?: number;
    }
  /** A unit held by hold mode, or released by step / resume. */
  | {
      readonly type: 'held' | 'released';
      readonly id: number;
      readonly peer: string;
      readonly direction: Direction;
      readonly time: number;
      readonly seq: number;
      readonly kind: 'data' | 'end';
      readonly length: number;
    }
  /** A datagram refused because the hold queue was full (counted `overflowed`). */
  | { readonly type: 'hold-overflow'; readonly id: number; readonly peer: string; readonly direction: Direction; readonly time: number; readonly length: number }
  /** The toxics changed; `links` open links were reconfigured in the same turn. */
  | { readonly type: 'toxics'; readonly time: number; readonly toxics: readonly string[]; readonly links: number };

/** What a listener receives beyond connection events. */
export interface EventSubscription {
  /** Every forwarded chunk/datagram (`data` events). Default false. */
  readonly data?: boolean;
  /** Every fault decision (`fault` events). Default true. */
  readonly faults?: boolean;
}

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
  /** The live toxics, in order. */
  toxics(): readonly Toxic[];
  /** Replaces the live toxics; open connections/clients take them in this turn. Returns how many links were reconfigured. */
  setToxics(toxics: readonly Toxic[]): number;
  /** Counters per toxic. */
  toxicStats(): ToxicStats[];
  /** Starts holding every unit that is ready to go (see hold-queue.ts); limits optional. */
  hold(limits?: { readonly maxUnits?: number; readonly maxBytes?: number }): void;
  /** Releases the `count` oldest held units (default 1); returns how many. */
  step(count?: number): number;
  /** Releases everything held and stops holding; returns how many. */
  resume(): number;
  holdState(): HoldState;
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: (event: ProxyEvent) => void, options?: EventSubscription): () => void;
}

export interface ProxyStats {
  /** Connections accepted (TCP) or client addresses seen (UDP), in total. */
  readonly sessions: number;
  /** Connections or client entries open now. */
  readonly open: number;
  /** Upstream refused, unreachable or timed out. */
  readonly upstreamErrors: number;
}

/** `127.0.0.1:5000` or `[::1]:5000`: `formatHostPort` of `@netlab/ground` (this name is kept for compatibility). */
export const formatAddress: (host: string, port: number) => string = formatHostPort;
