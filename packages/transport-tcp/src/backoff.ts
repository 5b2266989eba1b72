/**
 * Exponential backoff with jitter for reconnecting clients: attempt n (from 0) waits a random
 * delay in [base/2, base] where base = min(maxDelayMs, initialDelayMs × factor^n) ("equal jitter",
 * so a crowd of clients that lost the same server spreads out, yet never retries at once).
 */
import { assertIntegerOption } from './errors.js';

/** Default first delay: 100 ms. */
export const DEFAULT_BACKOFF_INITIAL_DELAY_MS = 100;
/** Default ceiling: 10 s. */
export const DEFAULT_BACKOFF_MAX_DELAY_MS = 10_000;
/** Default growth factor per attempt: 2. */
export const DEFAULT_BACKOFF_FACTOR = 2;

export interface BackoffOptions {
  /** Base delay of the first retry. Default {@link DEFAULT_BACKOFF_INITIAL_DELAY_MS}. */
  readonly initialDelayMs?: number;
  /** Largest base delay. Default {@link DEFAULT_BACKOFF_MAX_DELAY_MS}. */
  readonly maxDelayMs?: number;
  /** Multiplier per attempt (≥ 1). Default {@link DEFAULT_BACKOFF_FACTOR}. */
  readonly factor?: number;
  /** Uniform random source in [0, 1) (inject a seeded PRNG for replayable runs). Default `Math.random`. */
  readonly random?: () => number;
}

/** The delay before retry number `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialDelayMs ?? DEFAULT_BACKOFF_INITIAL_DELAY_MS;
  const max = options.maxDelayMs ?? DEFAULT_BACKOFF_MAX_DELAY_MS;
  const factor = options.factor ?? DEFAULT_BACKOFF_FACTOR;
  assertIntegerOption('initialDelayMs', initial, 0, 2 ** 31 - 1);
  assertIntegerOption('maxDelayMs', max, initial, 2 ** 31 - 1);
  const random = options.random ?? Math.random;
  const base = Math.min(max, initial * Math.pow(Math.max(1, factor), Math.max(0, attempt)));
  return Math.round(base / 2 + (random() * base) / 2);
}
