import { describe, expect, it } from 'vitest';
import { isGroundError } from '../src/errors.js';
import { createPrng } from '../src/prng.js';

const invalidArgument = (run: () => unknown): boolean => {
  try {
    run();
  } catch (error) {
    return isGroundError(error, 'ERR_INVALID_ARGUMENT');
  }
  return false;
};

const draws = (seed: number, n: number): number[] => {
  const prng = createPrng(seed);
  return Array.from({ length: n }, () => prng.next());
};

describe('createPrng', () => {
  it('replays the same sequence from the same seed', () => {
    expect(draws(42, 1000)).toEqual(draws(42, 1000));
  });

  it('gives different sequences for different seeds', () => {
    expect(draws(1, 100)).not.toEqual(draws(2, 100));
  });

  it('draws the same golden values as the generator it replaced in @netlab/faults (seeds replay across versions)', () => {
    const prng = createPrng(20261201);
    expect([prng.next(), prng.next(), prng.int(1000), prng.fork('network').next()]).toEqual([
      0.8448604422155768, 0.11040594824589789, 535, 0.762303460156545,
    ]);
  });

  it('keeps its seed', () => {
    expect(createPrng(7).seed).toBe(7);
  });

  it('produces floats in [0, 1) with a uniform mean and spread', () => {
    const values = draws(3, 100_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeCloseTo(0.5, 2);
    const buckets = new Array<number>(10).fill(0);
    for (const v of values) buckets[Math.floor(v * 10)]!++;
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('draws integers in [0, max) covering every value', () => {
    const prng = createPrng(5);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const n = prng.int(7);
      expect(Number.isInteger(n) && n >= 0 && n < 7).toBe(true);
      seen.add(n);
    }
    expect(seen.size).toBe(7);
  });

  it('rejects a non-positive or fractional int bound', () => {
    const prng = createPrng(1);
    expect(invalidArgument(() => prng.int(0))).toBe(true);
    expect(invalidArgument(() => prng.int(1.5))).toBe(true);
    expect(prng.int(1)).toBe(0);
  });

  it('answers chance(0) false and chance(1) true without drawing', () => {
    const a = createPrng(9);
    const b = createPrng(9);
    expect(a.chance(0)).toBe(false);
    expect(a.chance(1)).toBe(true);
    expect(a.next()).toBe(b.next());
  });

  it('hits chance(p) at rate p over 10,000 draws', () => {
    const prng = createPrng(11);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (prng.chance(0.3)) hits++;
    expect(Math.abs(hits / 10_000 - 0.3)).toBeLessThan(0.015);
  });

  it('forks stable, label-dependent, independent generators', () => {
    const root = createPrng(100);
    const a1 = root.fork('a').next();
    root.next(); // drawing from the parent does not move its forks
    expect(root.fork('a').next()).toBe(a1);
    expect(createPrng(100).fork('a').next()).toBe(a1);
    expect(root.fork('b').next()).not.toBe(a1);
    expect(createPrng(101).fork('a').next()).not.toBe(a1);
  });

  it('accepts any safe integer seed and refuses others', () => {
    expect(() => createPrng(Number.MAX_SAFE_INTEGER)).not.toThrow();
    expect(() => createPrng(-5)).not.toThrow();
    expect(invalidArgument(() => createPrng(1.5))).toBe(true);
    expect(invalidArgument(() => createPrng(Number.NaN))).toBe(true);
  });
});
