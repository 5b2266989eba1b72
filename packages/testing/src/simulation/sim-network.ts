/**
 * A lossy datagram network inside a {@link Simulation}: `@netlab/faults`' netem model
 * (`createDatagramImpairments`: loss, duplicate, reorder, corrupt, delay ± jitter) scheduled on the
 * simulation's virtual time, one model per direction of each pair of nodes, so the simulation and
 * the UDP fault proxy impair datagrams the same way and neither draws faults of its own.
 *
 * On top of netem, a "late" tail (a copy that arrives long after later retransmissions of the same
 * message, as a route change does): with probability `late`, a copy that leaves the link's model
 * goes through a second one with `lateDelayMs / 2 ± lateDelayMs / 2` of delay.
 *
 * Delivery to a node that is down, or that has no handler, is a drop (`undeliverable`). Every
 * delivery is its own simulation event, so an async handler is awaited before the next event.
 * All choices come from forks of the PRNG given (one per link and stage), so a seed replays the
 * same losses in the same order.
 *
 * Messages are datagrams (`Uint8Array`): pass encoded bytes, which also exercises real codecs.
 * Limits: each link's model holds at most `maxQueuedPackets` / `maxQueuedBytes` (netem's `limit`);
 * more is discarded and counted `overflowed`.
 */
import { type DatagramImpairmentOptions, type DatagramImpairments, type Prng, createDatagramImpairments } from '@netlab/faults';
import { TestingError } from '../errors.js';
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
  /** Probability a datagram is dropped (netem `loss`). Default {@link DEFAULT_SIM_LOSS} (30 %). */
  readonly loss?: number;
  /** Probability a datagram is delivered twice (netem `duplicate`). Default {@link DEFAULT_SIM_DUPLICATE} (20 %). */
  readonly duplicate?: number;
  /** Shortest delay of a copy (netem `delay` − `jitter`). Default {@link DEFAULT_SIM_MIN_DELAY_MS}. */
  readonly minDelayMs?: number;
  /** Longest delay of a copy (netem `delay` + `jitter`); copies overtake each other within it. Default {@link DEFAULT_SIM_MAX_DELAY_MS}. */
  readonly maxDelayMs?: number;
  /** Probability a copy is held back much longer. Default {@link DEFAULT_SIM_LATE} (5 %). */
  readonly late?: number;
  /** Largest extra delay of a late copy. Default {@link DEFAULT_SIM_LATE_DELAY_MS}. */
  readonly lateDelayMs?: number;
  /**
   * Further netem impairments for every link (`reorder`, `corrupt`, `lossCorrelation`,
   * `maxQueuedPackets`...); they apply on top of the fields above. Default: none.
   */
  readonly impairments?: DatagramImpairmentOptions;
}

export interface SimNetworkCounters {
  sent: number;
  dropped: number;
  duplicated: number;
  /** Copies that took the late tail. */
  delayed: number;
  /** Copies delivered after a later one overtook them (netem `reorder`). */
  reordered: number;
  /** Copies with a flipped bit (netem `corrupt`). */
  corrupted: number;
  /** Copies discarded because a link's queue was full. */
  overflowed: number;
  delivered: number;
  /** Copies that reached a node that was down (or unattached). */
  undeliverable: number;
}

/** Handles one datagram `from` a node; may be async (the simulation awaits it). */
export type SimHandler<M> = (message: M, from: string) => void | Promise<void>;

export interface SimNetwork<M extends Uint8Array = Uint8Array> {
  /** Attaches (or replaces) the handler of node `address`, and brings it up. */
  attach(address: string, handler: SimHandler<M>): void;
  /** Takes node `address` down (a crash): copies arriving while it is down are lost. */
  down(address: string): void;
  isUp(address: string): boolean;
  send(from: string, to: string, message: M): void;
  readonly counters: Readonly<SimNetworkCounters>;
}

/** One direction between two nodes: its netem model, its late tail, and the earliest wake-up scheduled. */
interface Link {
  readonly from: string;
  readonly to: string;
  readonly model: DatagramImpairments;
  readonly tail: DatagramImpairments;
  readonly lateRng: Prng;
  /** Virtual time of the earliest pending wake-up of this link (Infinity when none). */
  wakeAt: number;
}

function probability(name: string, p: number): number {
  if (!(p >= 0 && p <= 1)) throw new TestingError('ERR_INVALID_OPTION', `${name} must be a probability from 0 to 1, got ${String(p)}`, { details: { option: name, value: p } });
  return p;
}

/** Creates a simulated network (see the module comment). */
export function createSimNetwork<M extends Uint8Array = Uint8Array>(options: SimNetworkOptions): SimNetwork<M> {
  const sim = options.simulation;
  const prng = options.prng ?? sim.prng.fork('network');
  const minDelay = options.minDelayMs ?? DEFAULT_SIM_MIN_DELAY_MS;
  const maxDelay = options.maxDelayMs ?? DEFAULT_SIM_MAX_DELAY_MS;
  const late = probability('late', options.late ?? DEFAULT_SIM_LATE);
  const lateDelay = options.lateDelayMs ?? DEFAULT_SIM_LATE_DELAY_MS;
  if (!(minDelay >= 0 && maxDelay >= minDelay && lateDelay >= 0)) {
    throw new TestingError('ERR_INVALID_OPTION', `delays must satisfy 0 ≤ minDelayMs ≤ maxDelayMs and lateDelayMs ≥ 0, got ${minDelay}, ${maxDelay}, ${lateDelay}`, {
      details: { minDelayMs: minDelay, maxDelayMs: maxDelay, lateDelayMs: lateDelay },
    });
  }
  const impairments: DatagramImpairmentOptions = {
    ...options.impairments,
    loss: probability('loss', options.loss ?? DEFAULT_SIM_LOSS),
    duplicate: probability('duplicate', options.duplicate ?? DEFAULT_SIM_DUPLICATE),
    delayMs: (minDelay + maxDelay) / 2,
    jitterMs: (maxDelay - minDelay) / 2,
  };
  const tailImpairments: DatagramImpairmentOptions = { delayMs: lateDelay / 2, jitterMs: lateDelay / 2 };
  // Validate now (the faults model throws its typed FaultError on a bad value), not at the first send.
  createDatagramImpairments(impairments, prng.fork('validate'));
  const handlers = new Map<string, SimHandler<M>>();
  const up = new Set<string>();
  const links = new Map<string, Link>();
  const counters: SimNetworkCounters = { sent: 0, dropped: 0, duplicated: 0, delayed: 0, reordered: 0, corrupted: 0, overflowed: 0, delivered: 0, undeliverable: 0 };

  const linkOf = (from: string, to: string): Link => {
    const key = `${from}\u0000${to}`;
    let link = links.get(key);
    if (link === undefined) {
      const fork = prng.fork(`link ${from}->${to}`);
      link = { from, to, model: createDatagramImpairments(impairments, fork.fork('netem')), tail: createDatagramImpairments(tailImpairments, fork.fork('tail')), lateRng: fork.fork('late'), wakeAt: Number.POSITIVE_INFINITY };
      links.set(key, link);
    }
    return link;
  };

  const handle = (link: Link, message: M): void | Promise<void> => {
    const handler = handlers.get(link.to);
    if (handler === undefined || !up.has(link.to)) {
      counters.undeliverable++;
      return undefined;
    }
    counters.delivered++;
    return handler(message, link.from);
  };

  const wake = (link: Link): void => {
    const due = Math.min(link.model.nextDueAt() ?? Number.POSITIVE_INFINITY, link.tail.nextDueAt() ?? Number.POSITIVE_INFINITY);
    if (due === Number.POSITIVE_INFINITY || due >= link.wakeAt) return;
    link.wakeAt = due;
    sim.at(due, `deliver ${link.from}->${link.to}`, () => pump(link, true));
  };

  /**
   * Moves what is due on `link` to its receiver. From a wake-up event (`inline`) the first copy is
   * handled in that event; any other copy due at the same time gets an event of its own, so each
   * handler runs (and is awaited) alone. From `send` (inside another node's handler) nothing is
   * handled inline.
   */
  const pump = (link: Link, inline: boolean): void | Promise<void> => {
    const now = sim.now;
    if (link.wakeAt <= now) link.wakeAt = Number.POSITIVE_INFINITY;
    if ((link.model.nextDueAt() ?? Number.POSITIVE_INFINITY) > now && (link.tail.nextDueAt() ?? Number.POSITIVE_INFINITY) > now) {
      wake(link);
      return undefined;
    }
    const due: M[] = [];
    for (const copy of link.model.take(now)) {
      if (link.lateRng.chance(late)) {
        counters.delayed++;
        link.tail.push(copy, now);
      } else {
        due.push(copy as M);
      }
    }
    for (const copy of link.tail.take(now)) due.push(copy as M);
    wake(link);
    const first = inline ? due.shift() : undefined;
    for (const copy of due) sim.at(now, `deliver ${link.from}->${link.to}`, () => handle(link, copy));
    return first === undefined ? undefined : handle(link, first);
  };

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
      const link = linkOf(from, to);
      const model = link.model.counters;
      const { dropped, duplicated, reordered, corrupted, overflowed } = model;
      link.model.push(message, sim.now);
      counters.dropped += model.dropped - dropped;
      counters.duplicated += model.duplicated - duplicated;
      counters.reordered += model.reordered - reordered;
      counters.corrupted += model.corrupted - corrupted;
      counters.overflowed += model.overflowed - overflowed;
      if (model.dropped > dropped) sim.record(`drop ${from}->${to}`);
      void pump(link, false);
    },
    counters,
  };
}
