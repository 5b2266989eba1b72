/**
 * A deterministic discrete-event simulation: virtual time, one queue of events ordered by
 * (time, insertion order), run one at a time (an event's promise is awaited before the next
 * starts, so async code inside an event cannot interleave with another event). With every
 * random choice drawn from the simulation's seeded PRNG, the same seed gives the same run, and
 * the trace hash proves it.
 *
 * Limits: `maxEvents` (default {@link DEFAULT_MAX_EVENTS}) bounds a run; the queue holds at most
 * `maxQueued` events (default {@link DEFAULT_MAX_QUEUED_EVENTS}); the kept trace at most
 * `traceLimit` lines (the hash covers every line).
 */
import { type Clock, type Prng, createPrng } from '@netlab/ground';
import { TestingError } from '../errors.js';

/** Default bound on events per run. */
export const DEFAULT_MAX_EVENTS = 1_000_000;
/** Default bound on queued events. */
export const DEFAULT_MAX_QUEUED_EVENTS = 100_000;

export interface SimulationOptions {
  /** The seed every random choice derives from. Required. */
  readonly seed: number;
  /** Events run before `run` stops with `exhausted: true`. Default {@link DEFAULT_MAX_EVENTS}. */
  readonly maxEvents?: number;
  /** Queued events at most; scheduling one more throws. Default {@link DEFAULT_MAX_QUEUED_EVENTS}. */
  readonly maxQueued?: number;
  /** Trace lines kept in memory (0 keeps none; the hash still covers all). Default 0. */
  readonly traceLimit?: number;
}

export interface SimulationResult {
  readonly events: number;
  /** Virtual time at the end. */
  readonly now: number;
  /** True when `maxEvents` or `until` stopped the run with events still queued. */
  readonly exhausted: boolean;
  /** FNV-1a hash (hex) over every trace line: equal hashes mean equal runs. */
  readonly traceHash: string;
}

export interface Simulation {
  readonly seed: number;
  /** The root PRNG; fork it per component (`sim.prng.fork('network')`) so components stay independent. */
  readonly prng: Prng;
  /** Virtual time in ms. */
  readonly now: number;
  /** Trace lines kept (see `traceLimit`). */
  readonly trace: readonly string[];
  /** Runs `action` at virtual time `time` (not before now). */
  at(time: number, label: string, action: () => void | Promise<void>): void;
  /** Runs `action` `delay` ms from now. */
  after(delay: number, label: string, action: () => void | Promise<void>): void;
  /** Appends a line to the trace (hashed; kept up to `traceLimit`). */
  record(line: string): void;
  /** Runs events until none is left, `until` (virtual ms) is passed, or `maxEvents` ran. */
  run(until?: number): Promise<SimulationResult>;
  /** Runs the next event only (awaiting it if async); false when none is queued. For live runners. */
  step(): Promise<boolean>;
  /**
   * The simulation as the one netlab `Clock`: `now()` is virtual time, `setTimeout` schedules an
   * event (labelled `timer`), `clearTimeout` cancels it. Hand it to anything that takes a clock
   * (a server, a request log, a fault wrapper) to run it on virtual time.
   */
  readonly clock: Clock;
}

interface Event {
  readonly time: number;
  readonly order: number;
  readonly label: string;
  readonly action: () => void | Promise<void>;
}

/** A binary min-heap on (time, order). */
class EventQueue {
  private readonly heap: Event[] = [];

  get size(): number {
    return this.heap.length;
  }

  peek(): Event | undefined {
    return this.heap[0];
  }

  push(event: Event): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = this.get(parent);
      if (!EventQueue.before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  pop(): Event | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && EventQueue.before(this.get(right), this.get(left)) ? right : left;
      const candidate = this.get(child);
      if (!EventQueue.before(candidate, last)) break;
      heap[i] = candidate;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  private get(index: number): Event {
    const event = this.heap[index];
    if (event === undefined) throw new TestingError('ERR_QUEUE_FULL', `event queue index ${index} out of range (a bug in the queue)`);
    return event;
  }

  private static before(a: Event, b: Event): boolean {
    return a.time < b.time || (a.time === b.time && a.order < b.order);
  }
}

/** Creates a simulation (see the module comment). */
export function createSimulation(options: SimulationOptions): Simulation {
  const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  const maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED_EVENTS;
  const traceLimit = options.traceLimit ?? 0;
  const prng = createPrng(options.seed);
  const queue = new EventQueue();
  const trace: string[] = [];
  let now = 0;
  let order = 0;
  let hash = 0x811c9dc5;

  function record(line: string): void {
    const text = `${now} ${line}`;
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    hash ^= 10;
    hash = Math.imul(hash, 0x01000193) >>> 0;
    if (trace.length < traceLimit) trace.push(text);
  }

  function at(time: number, label: string, action: () => void | Promise<void>): void {
    if (queue.size >= maxQueued) throw new TestingError('ERR_QUEUE_FULL', `simulation queue is full (${maxQueued} events)`, { details: { maxQueued } });
    queue.push({ time: Math.max(time, now), order: order++, label, action });
  }

  const clock: Clock = {
    now: () => now,
    setTimeout(callback, ms) {
      const handle = { cancelled: false };
      at(now + Math.max(0, ms), 'timer', () => {
        if (!handle.cancelled) callback();
      });
      return handle;
    },
    clearTimeout(handle) {
      if (typeof handle === 'object' && handle !== null && 'cancelled' in handle) (handle as { cancelled: boolean }).cancelled = true;
    },
  };

  return {
    seed: options.seed,
    prng,
    clock,
    get now() {
      return now;
    },
    trace,
    at,
    after: (delay, label, action) => {
      at(now + delay, label, action);
    },
    record,
    async step() {
      const next = queue.pop();
      if (next === undefined) return false;
      now = next.time;
      record(next.label);
      const result = next.action();
      if (result !== undefined) await result;
      return true;
    },
    async run(until = Number.POSITIVE_INFINITY) {
      let events = 0;
      for (;;) {
        const next = queue.peek();
        if (next === undefined) break;
        if (next.time > until || events >= maxEvents) {
          return { events, now, exhausted: true, traceHash: hash.toString(16).padStart(8, '0') };
        }
        queue.pop();
        now = next.time;
        events++;
        record(next.label);
        const result = next.action();
        if (result !== undefined) await result;
      }
      return { events, now, exhausted: false, traceHash: hash.toString(16).padStart(8, '0') };
    },
  };
}
