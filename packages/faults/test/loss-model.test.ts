import { describe, expect, it } from 'vitest';
import { isFaultError } from '../src/errors.js';
import { createLossModel } from '../src/loss-model.js';
import { createPrng } from '../src/prng.js';

function run(rate: number, correlation: number, seed: number, n: number): boolean[] {
  const model = createLossModel(rate, correlation, createPrng(seed));
  return Array.from({ length: n }, () => model.lose());
}

const lossRate = (outcomes: readonly boolean[]): number => outcomes.filter(Boolean).length / outcomes.length;

function lag1Correlation(outcomes: readonly boolean[]): number {
  const x = outcomes.map((v): number => (v ? 1 : 0));
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < x.length; i++) {
    den += (x[i]! - mean) ** 2;
    if (i > 0) num += (x[i]! - mean) * (x[i - 1]! - mean);
  }
  return num / den;
}

function meanBurst(outcomes: readonly boolean[]): number {
  let bursts = 0;
  let lost = 0;
  for (let i = 0; i < outcomes.length; i++) {
    if (outcomes[i]) {
      lost++;
      if (i === 0 || !outcomes[i - 1]) bursts++;
    }
  }
  return lost / bursts;
}

describe('createLossModel', () => {
  it('loses independently at rate P when the correlation is 0', () => {
    const outcomes = run(0.2, 0, 1, 10_000);
    expect(Math.abs(lossRate(outcomes) - 0.2)).toBeLessThan(0.015);
    expect(Math.abs(lag1Correlation(outcomes))).toBeLessThan(0.03);
  });

  it('keeps the loss rate at P and the lag-1 correlation at C when correlated', () => {
    const outcomes = run(0.2, 0.25, 2, 100_000);
    expect(Math.abs(lossRate(outcomes) - 0.2)).toBeLessThan(0.01);
    expect(Math.abs(lag1Correlation(outcomes) - 0.25)).toBeLessThan(0.02);
  });

  it('makes bursts of mean length 1 / ((1 - P)(1 - C))', () => {
    const model = createLossModel(0.1, 0.5, createPrng(3));
    expect(model.meanBurstLength).toBeCloseTo(1 / (0.9 * 0.5), 10);
    const outcomes = run(0.1, 0.5, 3, 100_000);
    expect(Math.abs(meanBurst(outcomes) - model.meanBurstLength) / model.meanBurstLength).toBeLessThan(0.05);
  });

  it('never loses at rate 0 and always loses at rate 1', () => {
    expect(run(0, 0.5, 4, 1000).some(Boolean)).toBe(false);
    expect(run(1, 0, 4, 1000).every(Boolean)).toBe(true);
  });

  it('replays the same decisions from the same seed and differs for another seed', () => {
    expect(run(0.3, 0.4, 5, 5000)).toEqual(run(0.3, 0.4, 5, 5000));
    expect(run(0.3, 0.4, 5, 5000)).not.toEqual(run(0.3, 0.4, 6, 5000));
  });

  it('accepts a correlation just below 1 and refuses 1 or a rate over 1', () => {
    expect(() => createLossModel(0.5, 0.999, createPrng(1))).not.toThrow();
    for (const [rate, correlation] of [
      [0.5, 1],
      [1.01, 0],
      [-0.1, 0],
    ] as const) {
      let caught: unknown;
      try {
        createLossModel(rate, correlation, createPrng(1));
      } catch (error) {
        caught = error;
      }
      expect(isFaultError(caught, 'ERR_INVALID_OPTION')).toBe(true);
    }
  });
});
