/**
 * In-process fault injection for one direction of a byte stream: write chunks in, and the sink
 * receives them impaired (late, sliced, throttled, cut short or reset), in order, never with a
 * byte missing in the middle. The TCP proxy runs two of these per connection.
 *
 * Backpressure: `write()` returns false once `highWaterMark` bytes wait (pause your source) and
 * `onDrain` is called when it can take more. The sink applies its own backpressure the same way:
 * its `write()` returns false and the owner calls `drained()` when it can take more.
 */
import { type Clock, keepAliveClock } from '@netlab/ground';
import { type DirectionCounters } from './counters.js';
import type { DecisionObserver } from './fault-decision.js';
import { FaultError } from './errors.js';
import { type Prng, createPrng } from './prng.js';
import { type StreamImpairmentOptions, type StreamAction, createStreamImpairments, resolveStreamImpairments } from './stream-impairments.js';

/** Default seed when neither `seed` nor `prng` is given. */
export const DEFAULT_SEED = 1;

/** Where impaired bytes go. */
export interface StreamSink {
  /** Delivers bytes; returns false when full (then call `StreamFaults.drained()` once it drains). */
  write(bytes: Uint8Array): boolean;
  /** The stream ended normally (FIN), after `slow_close` if set. */
  end(): void;
  /** `timeout` or `limit_data` closed the connection: close both directions. */
  close(reason: 'timeout' | 'limit-data'): void;
  /** `reset_peer` fired: reset the connection. */
  reset(): void;
}

export interface StreamFaultsOptions extends StreamImpairmentOptions {
  /** Where impaired bytes go. Required. */
  readonly sink: StreamSink;
  /** Seed for every decision. Default {@link DEFAULT_SEED}; ignored when `prng` is given. */
  readonly seed?: number;
  /** A generator to draw from instead (the proxies pass per-connection forks). Default: `createPrng(seed)`. */
  readonly prng?: Prng;
  /** Called when the wrapper can take more after `write()` returned false. Default: none. */
  readonly onDrain?: () => void;
  /** Time and timers (the one netlab clock; drive it with a manual clock in tests). Default `keepAliveClock` from `@netlab/ground` (held data keeps the process alive). */
  readonly clock?: Clock;
}

export interface StreamFaults {
  /** Feeds bytes; false = `highWaterMark` reached, wait for `onDrain`. Throws ERR_BUFFER_FULL / ERR_CLOSED. */
  write(bytes: Uint8Array): boolean;
  /** The source ended. */
  end(): void;
  /** The sink can take more. */
  drained(): void;
  /** Applies new impairments to this open stream at once (see `StreamImpairments.reconfigure`). */
  reconfigure(options: StreamImpairmentOptions): void;
  /** Reports every decision to `observer` from now on (undefined: stop). */
  observe(observer: DecisionObserver | undefined): void;
  /** Stops at once: timers cancelled, waiting bytes discarded. */
  destroy(): void;
  readonly bufferedBytes: number;
  readonly counters: DirectionCounters;
}

/** Wraps a sink with the toxiproxy impairments of {@link StreamImpairmentOptions}. */
export function createStreamFaults(options: StreamFaultsOptions): StreamFaults {
  let resolved = resolveStreamImpairments(options);
  const clock = options.clock ?? keepAliveClock;
  const now = (): number => clock.now();
  const prng = options.prng ?? createPrng(options.seed ?? DEFAULT_SEED);
  const model = createStreamImpairments(resolved, prng, now());
  const sink = options.sink;
  let ready: StreamAction[] = [];
  let readyBytes = 0;
  let timer: unknown;
  let immediate: NodeJS.Immediate | undefined;
  let sinkFull = false;
  let sourceWaiting = false;
  let destroyed = false;
  // Read through a function: sink callbacks may destroy us mid-loop, which narrowing cannot see.
  const isDestroyed = (): boolean => destroyed;

  const buffered = (): number => model.bufferedBytes + readyBytes;

  const schedule = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    if (destroyed || sinkFull || immediate !== undefined) return;
    const due = model.nextDueAt();
    if (due !== undefined) timer = clock.setTimeout(pump, Math.max(0, due - now()));
  };

  function pump(): void {
    immediate = undefined;
    if (destroyed) return;
    const taken = model.take(now());
    if (taken.length > 0) {
      ready = ready.concat(taken);
      for (const action of taken) if (action.kind === 'data') readyBytes += action.bytes.length;
    }
    while (ready.length > 0 && !sinkFull && !isDestroyed()) {
      const action = ready.shift();
      if (action === undefined) break;
      if (action.kind === 'data') {
        readyBytes -= action.bytes.length;
        sinkFull = !sink.write(action.bytes);
        // Sliced data goes out one slice per event-loop turn, so slices leave as separate writes.
        if (resolved.slicer && ready.length > 0) {
          immediate = setImmediate(pump);
          break;
        }
      } else {
        ready = [];
        readyBytes = 0;
        if (action.kind === 'end') sink.end();
        else if (action.kind === 'close') sink.close(action.reason);
        else sink.reset();
      }
    }
    if (sourceWaiting && buffered() < resolved.highWaterMark && !isDestroyed()) {
      sourceWaiting = false;
      options.onDrain?.();
    }
    schedule();
  }

  schedule(); // a reset_peer or timeout deadline may be pending before any byte arrives
  return {
    write(bytes) {
      if (destroyed) throw new FaultError('ERR_CLOSED', 'write after the stream wrapper was destroyed');
      model.push(bytes, now());
      if (immediate === undefined) pump();
      const ok = buffered() < resolved.highWaterMark;
      if (!ok) sourceWaiting = true;
      return ok;
    },
    end() {
      if (destroyed) return;
      model.end(now());
      if (immediate === undefined) pump();
    },
    drained() {
      if (!sinkFull) return;
      sinkFull = false;
      if (immediate === undefined) pump();
    },
    reconfigure(update) {
      if (destroyed) return;
      const next = resolveStreamImpairments(update);
      model.reconfigure(next, now());
      resolved = next;
      if (immediate === undefined) pump();
    },
    observe(observer) {
      model.observe(observer);
    },
    destroy() {
      destroyed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      if (immediate !== undefined) clearImmediate(immediate);
      timer = undefined;
      immediate = undefined;
      model.clear();
      ready = [];
      readyBytes = 0;
    },
    get bufferedBytes() {
      return buffered();
    },
    counters: model.counters,
  };
}
