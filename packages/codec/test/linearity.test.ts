import { describe, expect, it } from 'vitest';
import type { Decoder } from '../src/decoder.js';
import { createLengthPrefixedDecoder, encodeLengthPrefixed } from '../src/length-prefixed.js';
import { createLineDecoder } from '../src/line-decoder.js';

/**
 * Work must be linear in the bytes pushed, however they are chunked. These tests compare the
 * time for N and 4N bytes in tiny chunks: linear code takes about 4x, quadratic code 16x. The
 * bound (10x) leaves room for noise; a quadratic decoder fails it by far (and at the larger size
 * would run for minutes, tripping the test timeout).
 */
function timePush(decoder: Decoder<unknown>, wire: Uint8Array, chunkSize: number): number {
  const start = process.hrtime.bigint();
  let count = 0;
  for (let i = 0; i < wire.length; i += chunkSize) count += decoder.push(wire.subarray(i, i + chunkSize)).length;
  count += decoder.end().length;
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  expect(count).toBeGreaterThan(0);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function ratio(run: (scale: number) => number): number {
  run(1); // warm up the JIT
  const small = median([run(1), run(1), run(1)]);
  const large = median([run(4), run(4), run(4)]);
  return large / Math.max(small, 0.001);
}

describe('decoding cost is linear in the bytes, whatever the chunk size', () => {
  it('holds for one long line pushed 7 bytes at a time', () => {
    const MB = 1024 * 1024;
    const r = ratio((scale) => {
      const wire = new Uint8Array(scale * MB + 1).fill(0x61);
      wire[wire.length - 1] = 0x0a;
      return timePush(createLineDecoder({ maxLineBytes: 8 * MB }), wire, 7);
    });
    expect(r).toBeLessThan(10);
  });

  it('holds for many short lines pushed 1 byte at a time', () => {
    const r = ratio((scale) => {
      const wire = new TextEncoder().encode('hello, world\n'.repeat(scale * 40_000));
      return timePush(createLineDecoder(), wire, 1);
    });
    expect(r).toBeLessThan(10);
  });

  it('holds for one large length-prefixed frame pushed 1 byte at a time', () => {
    const r = ratio((scale) => {
      const wire = encodeLengthPrefixed(new Uint8Array(scale * 512 * 1024), { maxFrameBytes: 4 * 1024 * 1024 });
      return timePush(createLengthPrefixedDecoder({ maxFrameBytes: 4 * 1024 * 1024 }), wire, 1);
    });
    expect(r).toBeLessThan(10);
  });
});
