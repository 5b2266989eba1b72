import { describe, expect, it } from 'vitest';
import { createDatagramFaults } from '../src/datagram-faults.js';
import { isFaultError } from '../src/errors.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('createDatagramFaults', () => {
  it('delivers at once, in order, when nothing is impaired', () => {
    const got: number[] = [];
    const faults = createDatagramFaults({ deliver: (d) => got.push(d[0] ?? -1) });
    for (let i = 0; i < 5; i++) faults.send(Uint8Array.of(i));
    expect(got).toEqual([0, 1, 2, 3, 4]);
    expect(faults.counters.forwarded).toBe(5);
  });

  it('delivers a delayed datagram on its timer', async () => {
    const got: number[] = [];
    const faults = createDatagramFaults({ delayMs: 30, deliver: (d) => got.push(d[0] ?? -1) });
    const start = performance.now();
    faults.send(Uint8Array.of(7));
    expect(got).toEqual([]);
    await sleep(60);
    expect(got).toEqual([7]);
    expect(performance.now() - start).toBeGreaterThanOrEqual(30);
    faults.close();
  });

  it('drops at the loss rate with a fixed seed, replayably', () => {
    const run = (seed: number): number[] => {
      const got: number[] = [];
      const faults = createDatagramFaults({ seed, loss: 0.25, deliver: (d) => got.push(new DataView(d.buffer).getUint16(0)) });
      for (let i = 0; i < 10_000; i++) {
        const d = new Uint8Array(2);
        new DataView(d.buffer).setUint16(0, i);
        faults.send(d);
      }
      expect(Math.abs(faults.counters.dropped / 10_000 - 0.25)).toBeLessThan(0.015);
      return got;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('discards what waits on close() and refuses to send afterwards', async () => {
    const got: number[] = [];
    const faults = createDatagramFaults({ delayMs: 20, deliver: (d) => got.push(d[0] ?? -1) });
    faults.send(Uint8Array.of(1));
    expect(faults.close()).toBe(1);
    await sleep(40);
    expect(got).toEqual([]);
    let caught: unknown;
    try {
      faults.send(Uint8Array.of(2));
    } catch (error) {
      caught = error;
    }
    expect(isFaultError(caught, 'ERR_CLOSED')).toBe(true);
  });
});
