import { describe, expect, it } from 'vitest';
import { addCounters, createFaultCounters, formatCounters, snapshotCounters } from '../src/counters.js';

describe('counters', () => {
  it('formats one aligned row per direction under a header', () => {
    const counters = createFaultCounters();
    counters.up.forwarded = 12345;
    counters.down.dropped = 7;
    const lines = formatCounters(counters).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^direction\s+received\s+forwarded\s+bytes\s+dropped\s+duplicated\s+sliced\s+reordered\s+corrupted\s+delayed\s+reset\s+overflowed$/);
    expect(lines[1]).toMatch(/^up\s+0\s+12345\s+0/);
    expect(lines[2]).toMatch(/^down\s+0\s+0\s+0\s+7\s/);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
  });

  it('shows only the UDP columns, with percentages of what arrived or left', () => {
    const counters = createFaultCounters();
    Object.assign(counters.up, { received: 28, forwarded: 19, bytes: 190, dropped: 9 });
    Object.assign(counters.down, { received: 19, forwarded: 19, bytes: 190, delayed: 19 });
    const lines = formatCounters(counters, 'udp').split('\n');
    expect(lines[0]).toMatch(/^direction\s+received\s+forwarded\s+bytes\s+dropped\s+duplicated\s+reordered\s+corrupted\s+delayed\s+overflowed$/);
    expect(lines[1]).toMatch(/^up\s+28\s+19\s+190\s+9 \(32\.1%\)\s+0 \(0\.0%\)/);
    expect(lines[2]).toMatch(/\s19 \(100\.0%\)\s+0 \(0\.0%\)$/);
    expect(lines[0]).not.toMatch(/sliced|reset/);
  });

  it('shows only the TCP columns, with a sliced column and delayed as a share of what left', () => {
    const counters = createFaultCounters();
    Object.assign(counters.down, { received: 2, forwarded: 10, bytes: 30, sliced: 2, delayed: 10 });
    const lines = formatCounters(counters, 'tcp').split('\n');
    expect(lines[0]).toMatch(/^direction\s+received\s+forwarded\s+bytes\s+sliced\s+delayed\s+dropped\s+reset\s+overflowed$/);
    expect(lines[2]).toMatch(/^down\s+2\s+10\s+30\s+2 \(100\.0%\)\s+10 \(100\.0%\)\s+0 \(0\.0%\)\s+0\s+0 \(0\.0%\)$/);
    expect(lines[0]).not.toMatch(/duplicated|corrupted|reordered/);
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
