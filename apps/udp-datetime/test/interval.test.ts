import { describe, expect, it } from 'vitest';
import { DEFAULT_INTERVAL, MAX_INTERVAL_MS, formatInterval, parseInterval } from '../src/interval.js';

describe('parseInterval', () => {
  it('reads a range in milliseconds, with or without the unit', () => {
    expect(parseInterval('1000-2000')).toEqual({ minMs: 1000, maxMs: 2000 });
    expect(parseInterval('10-20ms')).toEqual({ minMs: 10, maxMs: 20 });
  });

  it('applies a unit written only after MAX to both ends, and mixes units', () => {
    expect(parseInterval('1-2s')).toEqual({ minMs: 1000, maxMs: 2000 });
    expect(parseInterval('0.5s-1500ms')).toEqual({ minMs: 500, maxMs: 1500 });
  });

  it('takes one value as a fixed pause', () => {
    expect(parseInterval('250ms')).toEqual({ minMs: 250, maxMs: 250 });
  });

  it('accepts exactly the maximum and refuses one millisecond more', () => {
    expect(parseInterval(`0-${MAX_INTERVAL_MS}`)).toEqual({ minMs: 0, maxMs: MAX_INTERVAL_MS });
    expect(() => parseInterval(`0-${MAX_INTERVAL_MS + 1}`)).toThrow(/at most/);
  });

  it('refuses MIN above MAX and text that is not a range', () => {
    expect(() => parseInterval('20-10')).toThrow(/MIN is larger than MAX/);
    for (const bad of ['', 'fast', '1-2h', '-5', '1--2']) expect(() => parseInterval(bad)).toThrow(/invalid --interval/);
  });

  it('reads minutes and hours like every other duration', () => {
    expect(parseInterval('1-2min')).toEqual({ minMs: 60_000, maxMs: 120_000 });
    expect(parseInterval('30s-1m')).toEqual({ minMs: 30_000, maxMs: 60_000 });
    expect(parseInterval('1h')).toEqual({ minMs: 3_600_000, maxMs: 3_600_000 });
  });
});

describe('formatInterval', () => {
  it('prints a range as a user types it, and round-trips', () => {
    expect(formatInterval(DEFAULT_INTERVAL)).toBe('1-2s');
    expect(formatInterval({ minMs: 10, maxMs: 20 })).toBe('10-20ms');
    expect(formatInterval({ minMs: 500, maxMs: 1500 })).toBe('500ms-1.5s');
    expect(formatInterval({ minMs: 250, maxMs: 250 })).toBe('250ms');
    for (const range of [DEFAULT_INTERVAL, { minMs: 10, maxMs: 20 }, { minMs: 500, maxMs: 1500 }, { minMs: 60_000, maxMs: 120_000 }]) {
      expect(parseInterval(formatInterval(range))).toEqual(range);
    }
  });
});
