import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.js';
import { isGroundError } from '../src/errors.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay, equal jitter keeping each delay in (base/2, base]', () => {
    const longest = (attempt: number): number => backoffDelay(attempt, { initialDelayMs: 100, random: () => 0 });
    const shortest = (attempt: number): number => backoffDelay(attempt, { initialDelayMs: 100, random: () => 0.999_999 });
    expect([0, 1, 2, 3].map(longest)).toEqual([100, 200, 400, 800]);
    expect([0, 1, 2, 3].map(shortest)).toEqual([50, 100, 200, 400]);
  });

  it('never exceeds maxDelayMs however many attempts failed', () => {
    expect(backoffDelay(50, { initialDelayMs: 100, maxDelayMs: 1000, random: () => 0 })).toBe(1000);
    expect(backoffDelay(50, { initialDelayMs: 100, maxDelayMs: 1000, random: () => 0.999_999 })).toBe(500);
  });

  it('gives a fixed interval with factor 1 and no jitter', () => {
    expect([0, 1, 5].map((n) => backoffDelay(n, { initialDelayMs: 250, factor: 1, jitter: 0, random: () => 0.7 }))).toEqual([250, 250, 250]);
  });

  it('computes what the request-log client computed before it shared this function', () => {
    // base × (1 − jitter × r), rounded: the formula of request-log's client core, kept bit for bit.
    expect(backoffDelay(2, { initialDelayMs: 100, maxDelayMs: 2000, factor: 2, jitter: 0.5, random: () => 0.3 })).toBe(Math.round(400 * (1 - 0.5 * 0.3)));
  });

  it('rejects a ceiling below the initial delay, a factor below 1 and a jitter outside [0, 1]', () => {
    const code = (run: () => unknown): string | undefined => {
      try {
        run();
      } catch (error) {
        return isGroundError(error) ? `${error.code} ${String(error.details.option)}` : 'untyped';
      }
      return undefined;
    };
    expect(code(() => backoffDelay(0, { initialDelayMs: 100, maxDelayMs: 10 }))).toBe('ERR_INVALID_OPTION maxDelayMs');
    expect(code(() => backoffDelay(0, { factor: 0.5 }))).toBe('ERR_INVALID_OPTION factor');
    expect(code(() => backoffDelay(0, { jitter: 1.5 }))).toBe('ERR_INVALID_OPTION jitter');
    expect(code(() => backoffDelay(0, { jitter: 1 }))).toBeUndefined();
  });
});
