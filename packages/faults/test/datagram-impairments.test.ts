import { describe, expect, it } from 'vitest';
import { type DatagramImpairmentOptions, createDatagramImpairments } from '../src/datagram-impairments.js';
import { isFaultError } from '../src/errors.js';
import { createPrng } from '../src/prng.js';

const N = 10_000;
const TOLERANCE = 0.015; // 5 standard deviations of a 10% rate over 10,000 trials

/** Pushes n numbered datagrams 1 ms apart and drains everything; returns what came out, in order. */
function simulate(options: DatagramImpairmentOptions, seed: number, n = N): { out: Uint8Array[]; model: ReturnType<typeof createDatagramImpairments> } {
  const model = createDatagramImpairments(options, createPrng(seed));
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const packet = new Uint8Array(4);
    new DataView(packet.buffer).setUint32(0, i);
    model.push(packet, i);
    out.push(...model.take(i));
  }
  out.push(...model.take(Number.MAX_SAFE_INTEGER));
  return { out, model };
}

const ids = (packets: readonly Uint8Array[]): number[] => packets.map((p) => new DataView(p.buffer, p.byteOffset).getUint32(0));

describe('createDatagramImpairments', () => {
  it('passes every datagram through, at once and unchanged, with no impairment', () => {
    const { out, model } = simulate({}, 1, 1000);
    expect(ids(out)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(model.counters).toMatchObject({ forwarded: 1000, bytes: 4000, dropped: 0, delayed: 0 });
  });

  it('loses datagrams at the loss rate over 10,000 datagrams', () => {
    const { out, model } = simulate({ loss: 0.1 }, 7);
    expect(Math.abs(model.counters.dropped / N - 0.1)).toBeLessThan(TOLERANCE);
    expect(out.length).toBe(N - model.counters.dropped);
    expect(ids(out)).toEqual([...ids(out)].sort((a, b) => a - b)); // loss alone never reorders
  });

  it('keeps the loss rate with correlation and makes the losses bursty', () => {
    const { model } = simulate({ loss: 0.1, lossCorrelation: 0.5 }, 8, 50_000);
    expect(Math.abs(model.counters.dropped / 50_000 - 0.1)).toBeLessThan(TOLERANCE);
  });

  it('duplicates datagrams at the duplicate rate, each copy right after its original', () => {
    const { out, model } = simulate({ duplicate: 0.1 }, 9);
    expect(Math.abs(model.counters.duplicated / N - 0.1)).toBeLessThan(TOLERANCE);
    expect(out.length).toBe(N + model.counters.duplicated);
    const seen = ids(out);
    expect(new Set(seen).size).toBe(N);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('flips exactly one bit of a corrupted datagram and never writes to the caller’s buffer', () => {
    const model = createDatagramImpairments({ corrupt: 0.1 }, createPrng(10));
    const original = new Uint8Array(32).fill(0xaa);
    let corrupted = 0;
    for (let i = 0; i < N; i++) {
      model.push(original, i);
      for (const packet of model.take(i)) {
        let bits = 0;
        for (const byte of packet) {
          let x = byte ^ 0xaa;
          while (x !== 0) {
            bits += x & 1;
            x >>= 1;
          }
        }
        expect(bits === 0 || bits === 1).toBe(true);
        corrupted += bits;
      }
    }
    expect(original.every((byte) => byte === 0xaa)).toBe(true);
    expect(corrupted).toBe(model.counters.corrupted);
    expect(Math.abs(corrupted / N - 0.1)).toBeLessThan(TOLERANCE);
  });

  it('leaves an empty datagram alone even when corrupting everything', () => {
    const model = createDatagramImpairments({ corrupt: 1 }, createPrng(1));
    model.push(new Uint8Array(0), 0);
    expect(model.take(0)).toEqual([new Uint8Array(0)]);
    expect(model.counters.corrupted).toBe(0);
  });

  it('reorders datagrams at the reorder rate: each held one goes out right after the next', () => {
    const { out, model } = simulate({ reorder: 0.1 }, 11);
    expect(Math.abs(model.counters.reordered / N - 0.1)).toBeLessThan(TOLERANCE);
    const seen = ids(out);
    expect(seen.length).toBe(N);
    let inversions = 0;
    for (let i = 1; i < seen.length; i++) if (seen[i]! < seen[i - 1]!) inversions++;
    expect(inversions).toBeGreaterThan(0);
    expect(inversions).toBeLessThanOrEqual(model.counters.reordered);
  });

  it('releases a held datagram after reorderDelayMs when nothing overtakes it', () => {
    const model = createDatagramImpairments({ reorder: 1, reorderDelayMs: 30 }, createPrng(1));
    model.push(Uint8Array.of(1), 0);
    expect(model.take(29)).toEqual([]);
    expect(model.nextDueAt()).toBe(30);
    expect(model.take(30)).toEqual([Uint8Array.of(1)]);
    expect(model.counters).toMatchObject({ delayed: 1, reordered: 0, forwarded: 1 });
  });

  it('delays every datagram by delay ± jitter', () => {
    const model = createDatagramImpairments({ delayMs: 100, jitterMs: 20 }, createPrng(12));
    const arrivals: number[] = [];
    for (let i = 0; i < 1000; i++) model.push(Uint8Array.of(i & 0xff), 0);
    for (let t = 0; t <= 200; t++) for (const _ of model.take(t)) arrivals.push(t);
    expect(arrivals.length).toBe(1000);
    expect(Math.min(...arrivals)).toBeGreaterThanOrEqual(80);
    expect(Math.max(...arrivals)).toBeLessThanOrEqual(121);
    expect(model.counters.delayed).toBe(1000);
  });

  it('never reorders with a constant delay', () => {
    const { out } = simulate({ delayMs: 50 }, 13, 1000);
    expect(ids(out)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('makes identical decisions for identical seeds and different ones for different seeds', () => {
    const options: DatagramImpairmentOptions = { loss: 0.1, lossCorrelation: 0.2, duplicate: 0.05, reorder: 0.05, corrupt: 0.05, delayMs: 5, jitterMs: 5 };
    const a = simulate(options, 21);
    const b = simulate(options, 21);
    const c = simulate(options, 22);
    expect(a.out).toEqual(b.out);
    expect(a.model.counters).toEqual(b.model.counters);
    expect(a.out).not.toEqual(c.out);
  });

  it('keeps the loss decisions unchanged when another impairment is turned on', () => {
    const lossOnly = simulate({ loss: 0.2 }, 30, 2000).model.counters.dropped;
    const withCorrupt = simulate({ loss: 0.2, corrupt: 0.5, duplicate: 0.3 }, 30, 2000).model.counters.dropped;
    expect(withCorrupt).toBe(lossOnly);
  });

  it('queues exactly maxQueuedPackets datagrams and overflows one more', () => {
    const model = createDatagramImpairments({ delayMs: 10, maxQueuedPackets: 3 }, createPrng(1));
    for (let i = 0; i < 3; i++) model.push(Uint8Array.of(i), 0);
    expect(model.queuedPackets).toBe(3);
    expect(model.counters.overflowed).toBe(0);
    model.push(Uint8Array.of(3), 0);
    expect(model.queuedPackets).toBe(3);
    expect(model.counters.overflowed).toBe(1);
    expect(model.take(10)).toEqual([Uint8Array.of(0), Uint8Array.of(1), Uint8Array.of(2)]);
  });

  it('queues exactly maxQueuedBytes bytes and overflows one byte more', () => {
    const model = createDatagramImpairments({ delayMs: 10, maxQueuedBytes: 10 }, createPrng(1));
    model.push(new Uint8Array(10), 0);
    expect(model.queuedBytes).toBe(10);
    model.push(new Uint8Array(1), 0);
    expect(model.counters.overflowed).toBe(1);
    model.take(10);
    expect(model.queuedBytes).toBe(0);
  });

  it('discards what waits on clear()', () => {
    const model = createDatagramImpairments({ delayMs: 10 }, createPrng(1));
    model.push(Uint8Array.of(1), 0);
    expect(model.clear()).toBe(1);
    expect(model.take(100)).toEqual([]);
    expect(model.nextDueAt()).toBeUndefined();
  });

  it('rejects impossible options with ERR_INVALID_OPTION', () => {
    for (const options of [{ loss: 2 }, { duplicate: -1 }, { lossCorrelation: 1 }, { delayMs: -5 }, { jitterMs: Number.NaN }, { maxQueuedPackets: 0 }]) {
      let caught: unknown;
      try {
        createDatagramImpairments(options, createPrng(1));
      } catch (error) {
        caught = error;
      }
      expect(isFaultError(caught, 'ERR_INVALID_OPTION')).toBe(true);
    }
  });

  it('drops every datagram under a blackhole and passes them again when it is lifted', () => {
    const model = createDatagramImpairments({ blackhole: true }, createPrng(2));
    model.push(Uint8Array.of(1), 0);
    expect(model.take(0)).toEqual([]);
    model.reconfigure({});
    model.push(Uint8Array.of(2), 1);
    expect(model.take(1)).toEqual([Uint8Array.of(2)]);
    expect(model.counters).toMatchObject({ received: 2, dropped: 1, forwarded: 1 });
  });

  it('applies a loss switched on live from the next datagram on', () => {
    const model = createDatagramImpairments({}, createPrng(3));
    for (let i = 0; i < 100; i++) model.push(Uint8Array.of(i), i);
    model.reconfigure({ loss: 1 });
    for (let i = 0; i < 100; i++) model.push(Uint8Array.of(i), 100 + i);
    expect(model.take(1000)).toHaveLength(100);
    expect(model.counters).toMatchObject({ received: 200, dropped: 100 });
  });

  it('reports the datagram number, byte and bit of each corruption to an observer', () => {
    const model = createDatagramImpairments({ corrupt: 1 }, createPrng(4));
    const seen: { datagram?: number; byte?: number; bit?: number }[] = [];
    model.observe((decision) => seen.push(decision));
    const original = new Uint8Array(8);
    model.push(original, 0);
    model.push(original, 1);
    const out = model.take(1);
    expect(seen.map((d) => d.datagram)).toEqual([0, 1]);
    for (const [i, decision] of seen.entries()) expect(out[i]![decision.byte!]).toBe(1 << decision.bit!);
  });
});
