/**
 * A lossy datagram network inside a {@link Simulation}: each `send` is dropped with probability
 * `loss`, otherwise delivered once, plus one extra copy with probability `duplicate`; each copy
 * gets its own delay, uniform in [minDelayMs, maxDelayMs] (so datagrams overtake each other:
 * reordering), and with probability `late` an extra delay in [0, lateDelayMs] (a copy that
 * arrives long after later retransmissions of the same message). Delivery to a node that is
 * down, or that has no handler, is a drop. All choices come from the PRNG given, so a seed
 * replays the same losses in the same order.
 *
 * Messages are opaque values: pass encoded bytes to exercise real codecs.
 */
import type { Prng } from '@netlab/faults';
import type { Simulation } from './simulation.js';

export const DEFAULT_SIM_LOSS = 0.3;
export const DEFAULT_SIM_DUPLICATE = 0.2;
export const DEFAULT_SIM_MIN_DELAY_MS = 1;
export const DEFAULT_SIM_MAX_DELAY_MS = 40;
export const DEFAULT_SIM_LATE = 0.05;
export const DEFAULT_SIM_LATE_DELAY_MS = 3_000;

export interface SimNetworkOptions {
  /** The simulation that schedules deliveries. Required. */
  readonly simulation: Simulation;
  /** Where every fault decision comes from. Default `simulation.prng.fork('network')`. */
  readonly prng?: Prng;
  /** Probability a datagram is dropped. Default {@link DEFAULT_SIM_LOSS} (30 %). */
  readonly loss?: number;
  /** Probability a delivered datagram is delivered twice. Default {@link DEFAULT_SIM_DUPLICATE} (20 %). */
  readonly duplicate?: number;
  /** Default {@link DEFAULT_SIM_MIN_DELAY_MS}. */
  readonly minDelayMs?: number;
  /** Default {@link DEFAULT_SIM_MAX_DELAY_MS}. */
  readonly maxDelayMs?: number;
  /** Probability a copy is held back much longer. Default {@link DEFAULT_SIM_LATE} (5 %). */
  readonly late?: number;
  /** Largest extra delay of a late copy. Default {@link DEFAULT_SIM_LATE_DELAY_MS}. */
  readonly lateDelayMs?: number;
}

export interface SimNetworkCounters {
  sent: number;
  dropped: number;
  duplicated: number;
  delayed: number;
  delivered: number;
  /** Copies that reached a node that was down (or unattached). */
  undeliverable: number;
}

/** Handles one datagram `from` a node; may be async (the simulation awaits it). */
export type SimHandler<M> = (message: M, from: string) => void | Promise<void>;

export interface SimNetwork<M> {
  /** Attaches (or replaces) the handler of node `address`, and brings it up. */
  attach(address: string, handler: SimHandler<M>): void;
  /** Takes node `address` down (a crash): copies arriving while it is down are lost. */
  down(address: string): void;
  isUp(address: string): boolean;
  send(from: string, to: string, message: M): void;
  readonly counters: Readonly<SimNetworkCounters>;
}

/** Creates a simulated network (see the module comment). */
export function createSimNetwork<M>(options: SimNetworkOptions): SimNetwork<M> {
  const sim = options.simulation;
  const prng = options.prng ?? sim.prng.fork('network');
  const loss = options.loss ?? DEFAULT_SIM_LOSS;
  const duplicate = options.duplicate ?? DEFAULT_SIM_DUPLICATE;
  const minDelay = options.minDelayMs ?? DEFAULT_SIM_MIN_DELAY_MS;
  const maxDelay = options.maxDelayMs ?? DEFAULT_SIM_MAX_DELAY_MS;
  const late = options.late ?? DEFAULT_SIM_LATE;
  const lateDelay = options.lateDelayMs ?? DEFAULT_SIM_LATE_DELAY_MS;
  for (const [name, p] of [['loss', loss], ['duplicate', duplicate], ['late', late]] as const) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`${name} must be a probability, got ${String(p)}`);
  }
  if (!(minDelay >= 0 && maxDelay >= minDelay && lateDelay >= 0)) throw new RangeError('delays must satisfy 0 ≤ min ≤ max');
  const handlers = new Map<string, SimHandler<M>>();
  const up = new Set<string>();
  const counters: SimNetworkCounters = { sent: 0, dropped: 0, duplicated: 0, delayed: 0, delivered: 0, undeliverable: 0 };

  function deliverCopy(from: string, to: string, message: M): void {
    let delay = minDelay + prng.int(maxDelay - minDelay + 1);
    if (prng.chance(late)) {
      counters.delayed++;
      delay += prng.int(lateDelay + 1);
    }
    sim.after(delay, `deliver ${from}->${to}`, () => {
      const handler = handlers.get(to);
      if (handler === undefined || !up.has(to)) {
        counters.undeliverable++;
        return undefined;
      }
      counters.delivered++;
      return handler(message, from);
    });
  }

  return {
    attach(address, handler) {
      handlers.set(address, handler);
      up.add(address);
    },
    down(address) {
      up.delete(address);
    },
    isUp: (address) => up.has(address),
    send(from, to, message) {
      counters.sent++;
      if (prng.chance(loss)) {
        counters.dropped++;
        sim.record(`drop ${from}->${to}`);
        return;
      }
      deliverCopy(from, to, message);
      if (prng.chance(duplicate)) {
        counters.duplicated++;
        deliverCopy(from, to, message);
      }
    },
    counters,
  };
}
