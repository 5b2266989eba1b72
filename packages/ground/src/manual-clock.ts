/**
 * A clock that moves only when told to: for tests and simulations that must drive timeouts
 * without waiting. Timers fire in (due time, scheduling order) during `advance`, each seeing
 * `now()` equal to its own due time, so a timer scheduled by a firing timer fires in the same
 * `advance` when it falls due within it.
 *
 * Limits: at most `maxTimers` timers wait at once (default {@link DEFAULT_MAX_MANUAL_TIMERS});
 * scheduling one more throws `ERR_INVALID_ARGUMENT`, so a runaway loop fails loudly.
 */
import type { Clock } from './clock.js';
import { GroundError } from './errors.js';

/** Default cap on timers waiting on a manual clock: 100,000. */
export const DEFAULT_MAX_MANUAL_TIMERS = 100_000;

export interface ManualClockOptions {
  /** The time `now()` starts at, in ms. Default 0. */
  readonly start?: number;
  /** Timers waiting at once. Default {@link DEFAULT_MAX_MANUAL_TIMERS}. */
  readonly maxTimers?: number;
}

export interface ManualClock extends Clock {
  /** Moves time forward by `ms` (≥ 0), firing every timer that falls due on the way. */
  advance(ms: number): void;
  /** Timers waiting. */
  readonly pending: number;
}

interface ManualTimer {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
}

/** Creates a {@link ManualClock}. */
export function createManualClock(options: ManualClockOptions = {}): ManualClock {
  let now = options.start ?? 0;
  const maxTimers = options.maxTimers ?? DEFAULT_MAX_MANUAL_TIMERS;
  let order = 0;
  // Few timers wait at once in a test: a sorted array is simpler than a heap and fast enough.
  const timers: ManualTimer[] = [];
  const before = (a: ManualTimer, b: ManualTimer): boolean => a.at < b.at || (a.at === b.at && a.order < b.order);
  return {
    now: () => now,
    setTimeout(callback, ms) {
      if (timers.length >= maxTimers) throw new GroundError('ERR_INVALID_ARGUMENT', `manual clock already holds ${maxTimers} timers (maxTimers)`);
      const timer: ManualTimer = { at: now + Math.max(0, ms), order: order++, callback };
      let i = timers.length;
      for (let prev = timers[i - 1]; prev !== undefined && before(timer, prev); prev = timers[i - 1]) i--;
      timers.splice(i, 0, timer);
      return timer;
    },
    clearTimeout(handle) {
      const i = timers.indexOf(handle as ManualTimer);
      if (i !== -1) timers.splice(i, 1);
    },
    advance(ms) {
      if (!(ms >= 0)) throw new GroundError('ERR_INVALID_ARGUMENT', `advance takes a duration of 0 ms or more, got ${String(ms)}`);
      const until = now + ms;
      for (let next = timers[0]; next !== undefined && next.at <= until; next = timers[0]) {
        timers.shift();
        now = next.at;
        next.callback();
      }
      now = until;
    },
    get pending() {
      return timers.length;
    },
  };
}
