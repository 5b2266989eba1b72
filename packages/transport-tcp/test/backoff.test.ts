import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/index.js';

describe('backoffDelay', () => {
  it('doubles from the initial delay, with equal jitter between half and the full base', () => {
    const low = (attempt: number): number => backoffDelay(attempt, { initialDelayMs: 100, random: () => 0 });
    const high = (attempt: number): number => backoffDelay(attempt, { initialDelayMs: 100, random: () => 0.999_999 });
    expect([0, 1, 2, 3].map(low)).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map(high)).toEqual([100, 200, 400, 800]);
  });

  it('never exceeds maxDelayMs however many attempts failed', () => {
    expect(backoffDelay(50, { initialDelayMs: 100, maxDelayMs: 1000, random: () => 0.999_999 })).toBe(1000);
    expect(backoffDelay(50, { initialDelayMs: 100, maxDelayMs: 1000, random: () => 0 })).toBe(500);
  });

  it('rejects a ceiling below the initial delay', () => {
    expect(() => backoffDelay(0, { initialDelayMs: 100, maxDelayMs: 10 })).toThrow(/maxDelayMs/);
  });
});
