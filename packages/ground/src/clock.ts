/**
 * The one clock of netlab. Transports (idle timeouts, quiet flush, expiry), the request log (its
 * lease and its duplicate-wait timeout), the fault wrappers and the services (`ctx.now()`) all
 * read and schedule through a `Clock`, so one fake clock drives a whole stack in a test.
 *
 * Epoch: `now()` is milliseconds since the Unix epoch (`Date.now`), everywhere. Code that needs
 * durations subtracts two readings; nothing assumes monotonicity beyond "a clock that jumps
 * backwards delays deadlines, it never fires them early".
 */

/** Longest delay a Node timer accepts (2^31 − 1 ms, about 24.8 days); options are capped at it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Time and timers, injected wherever something waits. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Schedules `callback` after `ms`; the returned handle never keeps the process alive. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a handle returned by `setTimeout` (a handle that already fired, or undefined, is ignored). */
  clearTimeout(handle: unknown): void;
}

/** The wall clock: `Date.now` and unref'd Node timers. */
export const systemClock: Clock = {
  now: Date.now,
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout | undefined);
  },
};

/**
 * The wall clock whose timers keep the process alive: for timers that are work in flight (a
 * datagram the fault wrappers hold back for its delay), which must not be cut short because
 * nothing else is pending. Same epoch as {@link systemClock}.
 */
export const keepAliveClock: Clock = {
  now: Date.now,
  setTimeout(callback, ms) {
    return setTimeout(callback, ms);
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout | undefined);
  },
};
