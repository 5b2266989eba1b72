import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { MAX_DURATION_MS, durationUnitOf, formatDuration, parseDuration } from '../src/duration.js';

describe('parseDuration', () => {
  it('reads every unit, and a bare number as milliseconds', () => {
    expect(parseDuration('250', 'delay')).toBe(250);
    expect(parseDuration('250ms', 'delay')).toBe(250);
    expect(parseDuration('1.5s', 'delay')).toBe(1500);
    expect(parseDuration('5min', 'delay')).toBe(300_000);
    expect(parseDuration('5m', 'delay')).toBe(300_000);
    expect(parseDuration('1h', 'delay')).toBe(3_600_000);
    expect(parseDuration('0', 'delay')).toBe(0);
    expect(parseDuration(' 2s ', 'delay')).toBe(2000);
  });

  it('takes a bare number in the default unit when one is given', () => {
    expect(parseDuration('2', 'interval', { defaultUnit: 's' })).toBe(2000);
    expect(parseDuration('2ms', 'interval', { defaultUnit: 's' })).toBe(2);
  });

  it('refuses negative, malformed and unknown-unit values with a message naming the value', () => {
    for (const bad of ['-1', 'abc', '', '1d', '1.s', '1 2s', '2sec']) {
      expect(() => parseDuration(bad, '--timeout'), bad).toThrow(CliError);
    }
    expect(() => parseDuration('2sec', '--timeout')).toThrow('invalid --timeout "2sec": expected a duration such as 250ms, 2s, 5min or 1h');
  });

  it('accepts exactly the longest timer Node.js can wait and refuses one millisecond more', () => {
    expect(parseDuration(String(MAX_DURATION_MS), 'wait')).toBe(MAX_DURATION_MS);
    expect(() => parseDuration(String(MAX_DURATION_MS + 1), 'wait')).toThrow(/at most/);
  });

  it('reports the unit written after a value', () => {
    expect(durationUnitOf('2s')).toBe('s');
    expect(durationUnitOf('2')).toBeUndefined();
    expect(durationUnitOf('x')).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it('prints durations the way a user types them', () => {
    expect(formatDuration(0)).toBe('0ms');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(1000)).toBe('1s');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(1250)).toBe('1250ms');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(300_000)).toBe('5min');
    expect(formatDuration(170_000)).toBe('170s');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(5_400_000)).toBe('90min');
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 250, 1000, 1500, 2000, 59_000, 60_000, 90_000, 300_000, 3_600_000, 7_200_000, MAX_DURATION_MS]) {
      expect(parseDuration(formatDuration(ms), 'x')).toBe(ms);
    }
  });
});
