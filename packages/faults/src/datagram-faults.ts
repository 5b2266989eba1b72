/**
 * In-process fault injection for a datagram send path: `send()` datagrams in, and `deliver`
 * receives them impaired (lost, duplicated, reordered, corrupted, delayed). Wrap a dgram socket's
 * send, or connect two in-process peers, with the exact model the UDP proxy uses.
 */
import { type Clock, keepAliveClock } from '@netlab/ground';
import { type DirectionCounters } from './counters.js';
import { type DatagramImpairmentOptions, createDatagramImpairments } from './datagram-impairments.js';
import { FaultError } from './errors.js';
import type { DecisionObserver } from './fault-decision.js';
import { type Prng, createPrng } from './prng.js';
import { DEFAULT_SEED } from './stream-faults.js';

export interface DatagramFaultsOptions extends DatagramImpairmentOptions {
  /** Receives each datagram that survives, when it falls due. Required. */
  readonly deliver: (datagram: Uint8Array) => void;
  /** Seed for every decision. Default 1 (`DEFAULT_SEED`); ignored when `prng` is given. */
  readonly seed?: number;
  /** A generator to draw from instead (the UDP proxy passes per-client forks). Default: `createPrng(seed)`. */
  readonly prng?: Prng;
  /** Time and timers (the one netlab clock; drive it with a manual clock in tests). Default `keepAliveClock` from `@netlab/ground` (held data keeps the process alive). */
  readonly clock?: Clock;
}

export interface DatagramFaults {
  /** Sends one datagram through the impairments. Throws ERR_CLOSED after `close()`. */
  send(datagram: Uint8Array): void;
  /** Stops: timers cancelled, waiting datagrams discarded (returns how many). */
  close(): number;
  /** Applies new impairments from the next datagram on. */
  reconfigure(options: DatagramImpairmentOptions): void;
  /** Reports every decision to `observer` from now on (undefined: stop). */
  observe(observer: DecisionObserver | undefined): void;
  /** Datagrams held or delayed right now. */
  readonly queuedPackets: number;
  readonly counters: DirectionCounters;
}

/** Wraps `deliver` with the netem impairments of {@link DatagramImpairmentOptions}. */
export function createDatagramFaults(options: DatagramFaultsOptions): DatagramFaults {
  const clock = options.clock ?? keepAliveClock;
  const model = createDatagramImpairments(options, options.prng ?? createPrng(options.seed ?? DEFAULT_SEED));
  let timer: unknown;
  let closed = false;
  // Read through a function: `deliver` may close us mid-loop, which narrowing cannot see.
  const isClosed = (): boolean => closed;

  const pump = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    if (closed) return;
    for (const datagram of model.take(clock.now())) options.deliver(datagram);
    const due = model.nextDueAt();
    if (due !== undefined && !isClosed()) timer = clock.setTimeout(pump, Math.max(0, due - clock.now()));
  };

  return {
    send(datagram) {
      if (closed) throw new FaultError('ERR_CLOSED', 'send after the datagram wrapper was closed');
      model.push(datagram, clock.now());
      pump();
    },
    reconfigure(update) {
      model.reconfigure(update);
    },
    observe(observer) {
      model.observe(observer);
    },
    close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      return model.clear();
    },
    get queuedPackets() {
      return model.queuedPackets;
    },
    counters: model.counters,
  };
}
