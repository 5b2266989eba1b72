import { describe, expect, it } from 'vitest';
import { isFaultError } from '../src/errors.js';
import { createPrng } from '../src/prng.js';
import { type StreamAction, type StreamImpairmentOptions, createStreamImpairments } from '../src/stream-impairments.js';

const bytes = (n: number, start = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

/** Drains the model up to `until` ms, one ms at a time, collecting actions with their times. */
function drain(model: ReturnType<typeof createStreamImpairments>, from: number, until: number): { at: number; action: StreamAction }[] {
  const out: { at: number; action: StreamAction }[] = [];
  for (let t = from; t <= until; t++) for (const action of model.take(t)) out.push({ at: t, action });
  return out;
}

const dataOf = (actions: readonly { action: StreamAction }[]): Uint8Array =>
  Uint8Array.from(actions.flatMap(({ action }) => (action.kind === 'data' ? [...action.bytes] : [])));

describe('createStreamImpairments', () => {
  it('passes chunks through at once with no toxic', () => {
    const model = createStreamImpairments({}, createPrng(1), 0);
    model.push(bytes(10), 0);
    expect(model.take(0)).toEqual([{ kind: 'data', bytes: bytes(10) }]);
    expect(model.counters).toMatchObject({ forwarded: 1, bytes: 10, delayed: 0 });
  });

  it('delays chunks by latency ± jitter and never lets one overtake another', () => {
    const model = createStreamImpairments({ latencyMs: 50, jitterMs: 40 }, createPrng(2), 0);
    for (let i = 0; i < 1000; i++) model.push(bytes(1, i), i);
    const out = drain(model, 0, 2000);
    expect(dataOf(out)).toEqual(bytes(1000));
    for (const { at } of out.slice(0, 1)) expect(at).toBeGreaterThanOrEqual(10);
    expect(out.at(-1)!.at).toBeLessThanOrEqual(999 + 90);
  });

  it('slices chunks into average ± variation sized pieces that rejoin into the original', () => {
    const model = createStreamImpairments({ slicer: true, slicerAverageSize: 8, slicerSizeVariation: 4 }, createPrng(3), 0);
    const input = bytes(10_000);
    model.push(input, 0);
    const out = model.take(0);
    const sizes = out.map((a) => (a.kind === 'data' ? a.bytes.length : -1));
    expect(Math.max(...sizes.slice(0, -1))).toBeLessThanOrEqual(12);
    expect(Math.min(...sizes.slice(0, -1))).toBeGreaterThanOrEqual(4);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(Math.abs(mean - 8)).toBeLessThan(0.5);
    expect(dataOf(out.map((action) => ({ action })))).toEqual(input);
  });

  it('spaces slices slicerDelayMs apart', () => {
    const model = createStreamImpairments({ slicer: true, slicerAverageSize: 10, slicerSizeVariation: 0, slicerDelayMs: 5 }, createPrng(4), 0);
    model.push(bytes(30), 0);
    expect(drain(model, 0, 20).map(({ at }) => at)).toEqual([0, 5, 10]);
  });

  it('limits bandwidth to bandwidthKBps kilobytes per second', () => {
    const model = createStreamImpairments({ bandwidthKBps: 10 }, createPrng(5), 0); // 10 bytes per ms
    model.push(bytes(5000), 0);
    const out = drain(model, 0, 1000);
    expect(dataOf(out)).toEqual(bytes(5000));
    expect(out.at(-1)!.at).toBe(500);
    expect(Math.max(...out.map(({ action }) => (action.kind === 'data' ? action.bytes.length : 0)))).toBeLessThanOrEqual(1000);
  });

  it('delivers exactly limitDataBytes bytes, then closes', () => {
    const model = createStreamImpairments({ limitDataBytes: 10 }, createPrng(6), 0);
    model.push(bytes(10), 0);
    expect(model.take(0)).toEqual([{ kind: 'data', bytes: bytes(10) }, { kind: 'close', reason: 'limit-data' }]);
    expect(model.finished).toBe(true);
  });

  it('cuts the stream one byte over limitDataBytes: the first bytes in order, then close', () => {
    const model = createStreamImpairments({ limitDataBytes: 10 }, createPrng(6), 0);
    model.push(bytes(6), 0);
    model.push(bytes(5, 6), 0);
    model.push(bytes(3, 11), 0);
    const out = model.take(0);
    expect(dataOf(out.map((action) => ({ action })))).toEqual(bytes(10));
    expect(out.at(-1)).toEqual({ kind: 'close', reason: 'limit-data' });
    expect(model.counters).toMatchObject({ dropped: 1, reset: 1 });
  });

  it('stalls all data under timeout and closes after timeoutMs', () => {
    const model = createStreamImpairments({ timeoutMs: 100 }, createPrng(7), 0);
    model.push(bytes(10), 10);
    expect(model.take(99)).toEqual([]);
    expect(model.nextDueAt()).toBe(100);
    expect(model.take(100)).toEqual([{ kind: 'close', reason: 'timeout' }]);
    expect(model.counters).toMatchObject({ forwarded: 0, dropped: 1, reset: 1 });
  });

  it('resets a chosen stream at its first chunk, delivering none of it', () => {
    const model = createStreamImpairments({ resetPeer: 1 }, createPrng(8), 0);
    model.push(bytes(10), 5);
    expect(model.take(5)).toEqual([{ kind: 'reset' }]);
    expect(model.counters).toMatchObject({ forwarded: 0, reset: 1 });
  });

  it('resets a chosen stream resetPeerAfterMs after it opened, after the bytes due before', () => {
    const model = createStreamImpairments({ resetPeer: 1, resetPeerAfterMs: 50 }, createPrng(8), 0);
    model.push(bytes(4), 10);
    expect(model.take(10)).toEqual([{ kind: 'data', bytes: bytes(4) }]);
    expect(model.nextDueAt()).toBe(50);
    expect(model.take(50)).toEqual([{ kind: 'reset' }]);
  });

  it('resets streams at the reset_peer rate over 10,000 streams', () => {
    const root = createPrng(9);
    let resets = 0;
    for (let i = 0; i < 10_000; i++) {
      const model = createStreamImpairments({ resetPeer: 0.1 }, root.fork(`tcp:${i}`), 0);
      model.push(bytes(1), 0);
      if (model.take(0)[0]?.kind === 'reset') resets++;
    }
    expect(Math.abs(resets / 10_000 - 0.1)).toBeLessThan(0.015);
  });

  it('passes the end on slowCloseMs after the last byte', () => {
    const model = createStreamImpairments({ latencyMs: 10, slowCloseMs: 100 }, createPrng(10), 0);
    model.push(bytes(3), 0);
    model.end(0);
    expect(drain(model, 0, 200).map(({ at, action }) => [at, action.kind])).toEqual([
      [10, 'data'],
      [110, 'end'],
    ]);
  });

  it('buffers exactly maxBufferedBytes and refuses one byte more with ERR_BUFFER_FULL', () => {
    const model = createStreamImpairments({ latencyMs: 10, highWaterMark: 8, maxBufferedBytes: 16 }, createPrng(11), 0);
    model.push(bytes(16), 0);
    expect(model.bufferedBytes).toBe(16);
    let caught: unknown;
    try {
      model.push(bytes(1), 0);
    } catch (error) {
      caught = error;
    }
    expect(isFaultError(caught, 'ERR_BUFFER_FULL')).toBe(true);
    model.take(10);
    expect(model.bufferedBytes).toBe(0);
  });

  it('makes identical decisions for identical seeds and different ones for different seeds', () => {
    const options: StreamImpairmentOptions = { latencyMs: 20, jitterMs: 15, slicer: true, slicerAverageSize: 6, slicerSizeVariation: 5 };
    const run = (seed: number): { at: number; action: StreamAction }[] => {
      const model = createStreamImpairments(options, createPrng(seed), 0);
      for (let i = 0; i < 200; i++) model.push(bytes(50, i), i);
      return drain(model, 0, 500);
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
    expect(dataOf(run(1))).toEqual(dataOf(run(2)));
  });

  it('rejects a high-water mark above the hard cap', () => {
    expect(() => createStreamImpairments({ highWaterMark: 10, maxBufferedBytes: 9 }, createPrng(1), 0)).toThrow(/highWaterMark/);
  });

  it('brings waiting bytes forward when latency is lowered live, keeping their order', () => {
    const model = createStreamImpairments({ latencyMs: 1000 }, createPrng(12), 0);
    model.push(bytes(3), 0);
    model.push(bytes(3, 3), 5);
    expect(model.take(100)).toEqual([]);
    model.reconfigure({}, 100);
    expect(dataOf(model.take(100).map((action) => ({ action })))).toEqual(bytes(6));
    expect(model.counters).toMatchObject({ forwarded: 2, delayed: 2 });
    model.push(bytes(1, 6), 101);
    expect(model.take(101)).toEqual([{ kind: 'data', bytes: bytes(1, 6) }]);
  });

  it('holds every byte under a stall and delivers all of them when it is lifted', () => {
    const model = createStreamImpairments({}, createPrng(13), 0);
    model.reconfigure({ stall: 'timeout' }, 0);
    model.push(bytes(4), 1);
    model.push(bytes(4, 4), 2);
    expect(model.take(500)).toEqual([]);
    expect(model.nextDueAt()).toBeUndefined();
    expect(model.bufferedBytes).toBe(8);
    model.reconfigure({}, 500);
    expect(model.nextDueAt()).toBe(500);
    expect(dataOf(model.take(500).map((action) => ({ action })))).toEqual(bytes(8));
    expect(model.counters).toMatchObject({ dropped: 0, delayed: 2 });
  });

  it('closes timeoutMs after a timeout is switched on live, discarding what it held', () => {
    const model = createStreamImpairments({}, createPrng(14), 0);
    model.push(bytes(2), 0);
    expect(model.take(0)).toHaveLength(1);
    model.reconfigure({ timeoutMs: 50 }, 100);
    model.push(bytes(2), 120);
    expect(model.take(149)).toEqual([]);
    expect(model.take(150)).toEqual([{ kind: 'close', reason: 'timeout' }]);
    expect(model.counters).toMatchObject({ forwarded: 1, dropped: 1, reset: 1 });
  });

  it('counts limit_data from the moment it is switched on', () => {
    const model = createStreamImpairments({}, createPrng(15), 0);
    model.push(bytes(100), 0);
    model.take(0);
    model.reconfigure({ limitDataBytes: 5 }, 1);
    model.push(bytes(10), 2);
    const out = model.take(2);
    expect(dataOf(out.map((action) => ({ action })))).toEqual(bytes(5));
    expect(out.at(-1)).toEqual({ kind: 'close', reason: 'limit-data' });
  });

  it('resets toxiproxy-style: timeout ms after the first chunk, which is never delivered', () => {
    const model = createStreamImpairments({ resetPeer: 1, resetPeerAfterMs: 30, resetPeerAfterData: true }, createPrng(16), 0);
    expect(model.nextDueAt()).toBeUndefined();
    model.push(bytes(3), 100);
    expect(model.take(129)).toEqual([]);
    expect(model.take(130)).toEqual([{ kind: 'reset' }]);
  });

  it('reports each decision with its byte offsets to an observer', () => {
    const model = createStreamImpairments({ slicer: true, slicerAverageSize: 4, slicerSizeVariation: 0, latencyMs: 7 }, createPrng(17), 0);
    const seen: unknown[] = [];
    model.observe((decision) => seen.push(decision));
    model.push(bytes(5), 0);
    model.push(bytes(10, 5), 1);
    expect(seen).toEqual([
      { decision: 'sliced', cause: 'slicer', offset: 0, length: 5, cuts: [4] },
      { decision: 'delayed', cause: 'latency', offset: 0, length: 5, delayMs: 7 },
      { decision: 'sliced', cause: 'slicer', offset: 5, length: 10, cuts: [9, 13] },
      { decision: 'delayed', cause: 'latency', offset: 5, length: 10, delayMs: 7 },
    ]);
    expect(model.counters.sliced).toBe(2);
  });

  it('still resets when reset_peer is removed after it swallowed data: never a gap in the stream', () => {
    const model = createStreamImpairments({ resetPeer: 1, resetPeerAfterMs: 50, resetPeerAfterData: true }, createPrng(18), 0);
    model.push(bytes(3), 10);
    model.reconfigure({}, 20);
    model.push(bytes(3, 3), 30);
    expect(model.take(59)).toEqual([]);
    expect(model.take(60)).toEqual([{ kind: 'reset' }]);
  });
});
