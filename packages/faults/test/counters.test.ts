import { describe, expect, it } from 'vitest';
import { addCounters, createFaultCounters, formatCounters, snapshotCounters } from '../src/counters.js';

describe('counters', () => {
  it('formats one aligned row per direction under a header', () => {
    const counters = createFaultCounters();
    counters.up.forwarded = 12345;
    counters.down.dropped = 7;
    const lines = formatCounters(counters).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^direction\s+forwarded\s+bytes\s+dropped\s+duplicated\s+reordered\s+corrupted\s+delayed\s+reset\s+overflowed$/);
    expect(lines[1]).toMatch(/^up\s+12345\s+0/);
    expect(lines[2]).toMatch(/^down\s+0\s+0\s+7\s/);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
  });

  it('adds counters field by field and snapshots without sharing', () => {
    const a = createFaultCounters();
    a.up.reset = 2;
    const b = createFaultCounters();
    b.up.reset = 3;
    addCounters(a.up, b.up);
    const copy = snapshotCounters(a);
    a.up.reset = 100;
    expect(copy.up.reset).toBe(5);
  });
});
