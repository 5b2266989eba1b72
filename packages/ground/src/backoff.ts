/**
 * The one backoff formula of netlab: exponential growth with a cap, and jitter that shortens
 * each delay by a random fraction of it.
 *
 *   base(n)  = min(maxDelayMs, initialDelayMs × factor^n)      n = 0 for the first retry
 *   delay(n) = round(base(n) × (1 − jitter × r))               r uniform in [0, 1)
 *
 * With `jitter` 0.5 (the default) a delay falls in (base/2, base]: "equal jitter", so a crowd of
 * clients that lost the same server spreads out, yet none retries at once. `jitter` 0 and
 * `factor` 1 give a fixed interval. Used by the reconnecting TCP client and the request-log
 * client's retransmissions.
 */
import { MAX_TIMER_MS } from './clock.js';
import { GroundError } from './errors.js';
import { checkInteger } from './range-check.js';

/** Default first delay: 100 ms. */
export const DEFAULT_BACKOFF_INITIAL_DELAY_MS = 100;
/** Default ceiling of the base delay: 10 s. */
export const DEFAULT_BACKOFF_MAX_DELAY_MS = 10_000;
/** Default growth factor per attempt: 2. */
export const DEFAULT_BACKOFF_FACTOR = 2;
/** Default jitter: each delay is shortened by up to half of it. */
export const DEFAULT_BACKOFF_JITTER = 0.5;

export interface BackoffOptions {
  /** Base delay of the first retry, ms. Default {@link DEFAULT_BACKOFF_INITIAL_DELAY_MS}. */
  readonly initialDelayMs?: number;
  /** Largest base delay, ms (at least `initialDelayMs`). Default {@link DEFAULT_BACKOFF_MAX_DELAY_MS}. */
  readonly maxDelayMs?: number;
  /** Multiplier per attempt (≥ 1). Default {@link DEFAULT_BACKOFF_FACTOR}. */
  readonly factor?: number;
  /** Fraction (0 to 1) of each delay that is random. Default {@link DEFAULT_BACKOFF_JITTER}. */
  readonly jitter?: number;
  /** Uniform random source in [0, 1) (inject a seeded PRNG for replayable runs). Default `Math.random`. */
  readonly random?: () => number;
}

function invalid(message: string, details: Readonly<Record<string, unknown>>): GroundError {
  return new GroundError('ERR_INVALID_OPTION', message, { details });
}

/** The delay before retry number `attempt` (0 = the first retry), in whole ms. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const initial = options.initialDelayMs ?? DEFAULT_BACKOFF_INITIAL_DELAY_MS;
  const max = options.maxDelayMs ?? DEFAULT_BACKOFF_MAX_DELAY_MS;
  const factor = options.factor ?? DEFAULT_BACKOFF_FACTOR;
  const jitter = options.jitter ?? DEFAULT_BACKOFF_JITTER;
  const problem = checkInteger('initialDelayMs', initial, 0, MAX_TIMER_MS) ?? checkInteger('maxDelayMs', max, initial, MAX_TIMER_MS);
  if (problem !== undefined) throw invalid(problem.message, problem.details);
  if (!(factor >= 1)) throw invalid(`factor must be at least 1, got ${String(factor)}`, { option: 'factor', value: factor });
  if (!(jitter >= 0 && jitter <= 1)) throw invalid(`jitter must be from 0 to 1, got ${String(jitter)}`, { option: 'jitter', value: jitter });
  const random = options.random ?? Math.random;
  const base = Math.min(max, initial * Math.pow(factor, Math.max(0, attempt)));
  return Math.round(base * (1 - jitter * random()));
}
