import { describe, expect, it } from 'vitest';
import { isFaultError } from '../src/errors.js';
import { withStreamFaults } from '../src/stream-iterable.js';

async function* chunks(count: number, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < count; i++) {
    yield Uint8Array.from({ length: size }, (_, j) => (i * size + j) & 0xff);
    await Promise.resolve();
  }
}

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: number[] = [];
  for await (const chunk of source) parts.push(...chunk);
  return Uint8Array.from(parts);
}

const expected = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i & 0xff);

describe('withStreamFaults', () => {
  it('yields every byte in order through latency, jitter and the slicer', async () => {
    const out = await collect(withStreamFaults(chunks(20, 100), { seed: 3, latencyMs: 2, jitterMs: 2, slicer: true, slicerAverageSize: 7, slicerSizeVariation: 6 }));
    expect(out).toEqual(expected(2000));
  });

  it('ends after exactly limitDataBytes bytes', async () => {
    expect(await collect(withStreamFaults(chunks(10, 10), { limitDataBytes: 35 }))).toEqual(expected(35));
  });

  it('throws ERR_CONNECTION_RESET when reset_peer fires', async () => {
    let caught: unknown;
    try {
      await collect(withStreamFaults(chunks(10, 10), { resetPeer: 1 }));
    } catch (error) {
      caught = error;
    }
    expect(isFaultError(caught, 'ERR_CONNECTION_RESET')).toBe(true);
  });

  it('stops reading the source while the consumer is slow: at most 2 × highWaterMark bytes wait', async () => {
    let produced = 0;
    async function* counted(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 1000; i++) {
        produced++;
        yield new Uint8Array(100);
        await Promise.resolve();
      }
    }
    const iterator = withStreamFaults(counted(), { highWaterMark: 1000, maxBufferedBytes: 10_000 })[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    // 10 chunks wait for the consumer, 10 in the model, 1 in flight.
    expect(produced).toBeLessThanOrEqual(21);
    await iterator.return(undefined);
  });
});
