import { describe, expect, it } from 'vitest';
import { createTokenBucket } from '../src/index.js';

describe('token bucket', () => {
  it('starts full, empties, and refills at its rate', () => {
    const bucket = createTokenBucket({ rate: 2, burst: 3 }, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, true, false]);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
    expect(bucket.tokens).toBeCloseTo(0);
  });

  it('caps tokens at the burst however long it waits', () => {
    const bucket = createTokenBucket({ rate: 100, burst: 2 }, 0);
    bucket.take(0);
    bucket.take(1_000_000);
    expect(bucket.tokens).toBe(1);
  });
});
