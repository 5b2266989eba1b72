/**
 * The UDP impairment model (netem's vocabulary), sans-I/O: a state machine fed with datagrams and
 * the current time, returning the datagrams due for delivery. Drivers (`createDatagramFaults`,
 * the UDP proxy) own the sockets and timers; tests drive it with a fake clock.
 *
 * Pipeline for each datagram pushed, in this order (each stage draws from its own fork of the
 * PRNG, so turning one impairment on does not change the decisions of another):
 *
 * 1. loss       lost with probability `loss` (Gilbert model with `lossCorrelation`, see loss-model.ts)
 * 2. duplicate  with probability `duplicate` one extra copy follows the original
 * 3. corrupt    with probability `corrupt` (per copy) one random bit of a copy is flipped;
 *               the caller's buffer is never written to. An empty datagram cannot be corrupted.
 * 4. reorder    with probability `reorder` the datagram is held back until the next datagram in the
 *               same direction has gone out, then delivered right after it (counted `reordered`);
 *               if none comes within `reorderDelayMs` it is released anyway (counted `delayed`).
 *               Unlike netem, this needs no `delay` to have an effect.
 * 5. delay      delivered `delayMs` ± uniform `jitterMs` later (never negative). As in netem, jitter
 *               alone may reorder datagrams; a constant delay never does.
 *
 * Before all of them, `blackhole` (netlab `partition`) drops every datagram.
 *
 * Live changes: `reconfigure(options, now)` applies to the next datagram; datagrams already
 * delayed or held keep their times (they are in flight), and the loss chain restarts in Good.
 *
 * Limits: at most `maxQueuedPackets` datagrams and `maxQueuedBytes` bytes wait (held or delayed);
 * a datagram that would go over is discarded and counted `overflowed` (netem's `limit`).
 */
import { type DirectionCounters, createDirectionCounters } from './counters.js';
import { createLossModel } from './loss-model.js';
import type { DecisionObserver } from './fault-decision.js';
import type { Prng } from './prng.js';
import { checkInteger, checkNumber, checkProbability } from './validate.js';

export const DEFAULT_REORDER_DELAY_MS = 50;
export const DEFAULT_MAX_QUEUED_PACKETS = 1000;
export const DEFAULT_MAX_QUEUED_BYTES = 4 * 1024 * 1024;
/** Longest delay, jitter or hold accepted: one hour. Longer is a mistake, not a test. */
export const MAX_DELAY_MS = 3_600_000;

export interface DatagramImpairmentOptions {
  /** Probability that a datagram is lost (netem `loss`), 0 to 1. Default 0. */
  readonly loss?: number;
  /** Correlation of successive losses (netem `loss P C`), 0 to below 1. Default 0 (independent). */
  readonly lossCorrelation?: number;
  /** Probability that a datagram is sent twice (netem `duplicate`). Default 0. */
  readonly duplicate?: number;
  /** Probability that a datagram is held back and overtaken (netem `reorder`). Default 0. */
  readonly reorder?: number;
  /** Longest hold of a reordered datagram when nothing overtakes it, ms. Default {@link DEFAULT_REORDER_DELAY_MS}. */
  readonly reorderDelayMs?: number;
  /** Probability that a datagram gets one flipped bit (netem `corrupt`). Default 0. */
  readonly corrupt?: number;
  /** Fixed delay added to every datagram, ms (netem `delay`). Default 0. */
  readonly delayMs?: number;
  /** Uniform variation of the delay, ± ms (netem `delay D J`). Default 0. */
  readonly jitterMs?: number;
  /** Most datagrams waiting at once (netem `limit`). Default {@link DEFAULT_MAX_QUEUED_PACKETS}. */
  readonly maxQueuedPackets?: number;
  /** Most bytes waiting at once. Default {@link DEFAULT_MAX_QUEUED_BYTES}. */
  readonly maxQueuedBytes?: number;
  /** Drop every datagram (netlab `partition`). Default false. */
  readonly blackhole?: boolean;
}

export interface DatagramImpairments {
  /** Feeds one datagram arriving at time `now` (ms, any monotonic origin). */
  push(packet: Uint8Array, now: number): void;
  /** Every datagram due at `now`, in delivery order; counts them `forwarded`. */
  take(now: number): Uint8Array[];
  /** When the next datagram falls due (held or delayed), or undefined when nothing waits. */
  nextDueAt(): number | undefined;
  /** Discards everything waiting (on close); returns how many datagrams were discarded. */
  clear(): number;
  /** Applies new options from the next datagram on (see the header). Throws ERR_INVALID_OPTION. */
  reconfigure(options: DatagramImpairmentOptions): void;
  /** Reports every decision to `observer` from now on (undefined: stop). */
  observe(observer: DecisionObserver | undefined): void;
  readonly queuedPackets: number;
  readonly queuedBytes: number;
  readonly counters: DirectionCounters;
}

interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly packet: Uint8Array;
}

interface Held {
  readonly until: number;
  readonly delay: number;
  readonly packet: Uint8Array;
  readonly datagram: number;
  readonly since: number;
}

/** Validates options and fills in defaults. */
export function resolveDatagramImpairments(options: DatagramImpairmentOptions): Required<DatagramImpairmentOptions> {
  return {
    loss: checkProbability('loss', options.loss ?? 0),
    lossCorrelation: checkProbability('lossCorrelation', options.lossCorrelation ?? 0, true),
    duplicate: checkProbability('duplicate', options.duplicate ?? 0),
    reorder: checkProbability('reorder', options.reorder ?? 0),
    reorderDelayMs: checkNumber('reorderDelayMs', options.reorderDelayMs ?? DEFAULT_REORDER_DELAY_MS, 0, MAX_DELAY_MS),
    corrupt: checkProbability('corrupt', options.corrupt ?? 0),
    delayMs: checkNumber('delayMs', options.delayMs ?? 0, 0, MAX_DELAY_MS),
    jitterMs: checkNumber('jitterMs', options.jitterMs ?? 0, 0, MAX_DELAY_MS),
    maxQueuedPackets: checkInteger('maxQueuedPackets', options.maxQueuedPackets ?? DEFAULT_MAX_QUEUED_PACKETS, 1),
    maxQueuedBytes: checkInteger('maxQueuedBytes', options.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES, 1),
    blackhole: options.blackhole ?? false,
  };
}

/** True when the options impair nothing (every datagram passes at once, unchanged). */
export function isTransparentDatagram(options: DatagramImpairmentOptions): boolean {
  const o = resolveDatagramImpairments(options);
  return !o.blackhole && o.loss === 0 && o.duplicate === 0 && o.reorder === 0 && o.corrupt === 0 && o.delayMs === 0 && o.jitterMs === 0;
}

/** Creates the model for one direction, drawing every decision from forks of `prng`. */
export function createDatagramImpairments(options: DatagramImpairmentOptions, prng: Prng): DatagramImpairments {
  let o = resolveDatagramImpairments(options);
  const lossRng = prng.fork('loss');
  let loss = createLossModel(o.loss, o.lossCorrelation, lossRng);
  let observer: DecisionObserver | undefined;
  let received = 0;
  const duplicateRng = prng.fork('duplicate');
  const corruptRng = prng.fork('corrupt');
  const reorderRng = prng.fork('reorder');
  const delayRng = prng.fork('delay');
  const counters = createDirectionCounters();
  // Sorted by (at, seq); a few hundred entries at most, so a sorted array beats a heap here.
  const scheduled: Scheduled[] = [];
  let held: Held[] = [];
  let seq = 0;
  let queuedBytes = 0;

  const sampleDelay = (): number =>
    o.jitterMs === 0 ? o.delayMs : Math.max(0, o.delayMs + (delayRng.next() * 2 - 1) * o.jitterMs);

  const schedule = (packet: Uint8Array, at: number): number => {
    const entry: Scheduled = { at, seq: seq++, packet };
    let lo = 0;
    let hi = scheduled.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = scheduled[mid];
      if (other !== undefined && other.at <= at) lo = mid + 1;
      else hi = mid;
    }
    scheduled.splice(lo, 0, entry);
    return at;
  };

  const corruptCopy = (packet: Uint8Array, datagram: number): Uint8Array => {
    if (packet.length === 0 || !corruptRng.chance(o.corrupt)) return packet;
    const copy = new Uint8Array(packet);
    const bit = corruptRng.int(packet.length * 8);
    copy[bit >>> 3] = (copy[bit >>> 3] ?? 0) ^ (1 << (bit & 7));
    counters.corrupted++;
    if (observer !== undefined) observer({ decision: 'corrupted', cause: 'corrupt', datagram, length: packet.length, byte: bit >>> 3, bit: bit & 7 });
    return copy;
  };

  const admit = (packet: Uint8Array, now: number, datagram: number): void => {
    if (scheduled.length + held.length >= o.maxQueuedPackets || queuedBytes + packet.length > o.maxQueuedBytes) {
      counters.overflowed++;
      if (observer !== undefined) observer({ decision: 'overflowed', cause: 'queue', datagram, length: packet.length });
      return;
    }
    queuedBytes += packet.length;
    const delay = sampleDelay();
    if (reorderRng.chance(o.reorder)) {
      held.push({ until: now + o.reorderDelayMs, delay, packet, datagram, since: now });
      return;
    }
    const at = schedule(packet, now + delay);
    if (delay > 0) {
      counters.delayed++;
      if (observer !== undefined) observer({ decision: 'delayed', cause: 'delay', datagram, length: packet.length, delayMs: delay });
    }
    if (held.length > 0) {
      // Everything held is overtaken by this datagram: it goes out right after it, never before.
      for (const h of held) {
        const due = schedule(h.packet, Math.max(at, now + h.delay));
        counters.reordered++;
        if (observer !== undefined) observer({ decision: 'reordered', cause: 'reorder', datagram: h.datagram, length: h.packet.length, delayMs: due - h.since });
      }
      held = [];
    }
  };

  const releaseExpired = (now: number): void => {
    if (held.length === 0) return;
    const keep: Held[] = [];
    for (const h of held) {
      if (h.until <= now) {
        schedule(h.packet, h.until + h.delay);
        counters.delayed++;
        if (observer !== undefined) observer({ decision: 'delayed', cause: 'reorder', datagram: h.datagram, length: h.packet.length, delayMs: h.until + h.delay - h.since });
      } else {
        keep.push(h);
      }
    }
    held = keep;
  };

  return {
    push(packet, now) {
      const datagram = received++;
      counters.received++;
      if (o.blackhole) {
        counters.dropped++;
        if (observer !== undefined) observer({ decision: 'dropped', cause: 'partition', datagram, length: packet.length });
        return;
      }
      if (loss.lose()) {
        counters.dropped++;
        if (observer !== undefined) observer({ decision: 'dropped', cause: 'loss', datagram, length: packet.length });
        return;
      }
      const copies = duplicateRng.chance(o.duplicate) ? 2 : 1;
      if (copies === 2) {
        counters.duplicated++;
        if (observer !== undefined) observer({ decision: 'duplicated', cause: 'duplicate', datagram, length: packet.length });
      }
      for (let i = 0; i < copies; i++) admit(corruptCopy(packet, datagram), now, datagram);
    },
    reconfigure(update) {
      const next = resolveDatagramImpairments(update);
      if (next.loss !== o.loss || next.lossCorrelation !== o.lossCorrelation) loss = createLossModel(next.loss, next.lossCorrelation, lossRng);
      o = next;
    },
    observe(next) {
      observer = next;
    },
    take(now) {
      releaseExpired(now);
      let due = 0;
      while (due < scheduled.length && (scheduled[due]?.at ?? Number.POSITIVE_INFINITY) <= now) due++;
      const out = scheduled.splice(0, due).map((entry) => entry.packet);
      for (const packet of out) {
        queuedBytes -= packet.length;
        counters.forwarded++;
        counters.bytes += packet.length;
      }
      return out;
    },
    nextDueAt() {
      let next = scheduled[0]?.at;
      for (const h of held) if (next === undefined || h.until < next) next = h.until;
      return next;
    },
    clear() {
      const discarded = scheduled.length + held.length;
      scheduled.length = 0;
      held = [];
      queuedBytes = 0;
      return discarded;
    },
    get queuedPackets() {
      return scheduled.length + held.length;
    },
    get queuedBytes() {
      return queuedBytes;
    },
    counters,
  };
}
