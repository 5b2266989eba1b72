import { describe, expect, it } from 'vitest';
import { ByteBuffer } from '../src/byte-buffer.js';
import type { Decoder } from '../src/decoder.js';
import { createLengthPrefixedDecoder, encodeLengthPrefixed } from '../src/length-prefixed.js';
import { createLineDecoder } from '../src/line-decoder.js';

/**
 * Work must be linear in the bytes pushed, however they are chunked. These tests count work
 * instead of timing it (timing ratios belong in `bench/codec-linearity.bench.ts`): a chunk that
 * counts the bytes every scan (`indexOf`, `lastIndexOf`) and every slice (`subarray`) of it
 * covers, and the carry buffer's count of bytes it moved. Linear code does a small constant times
 * the input; a decoder that rescans or recopies what it already holds does N² / chunk size.
 */
class CountingChunk extends Uint8Array {
  static work = 0;

  static copyOf(bytes: Uint8Array): CountingChunk {
    const chunk = new CountingChunk(bytes.length);
    chunk.set(bytes);
    return chunk;
  }

  override indexOf(value: number, from = 0): number {
    const at = super.indexOf(value, from);
    CountingChunk.work += (at === -1 ? this.length : at + 1) - Math.max(0, from);
    return at;
  }

  override lastIndexOf(value: number, from: number = this.length - 1): number {
    const at = super.lastIndexOf(value, from);
    CountingChunk.work += from + 1 - (at === -1 ? 0 : at);
    return at;
  }

  override subarray(begin = 0, end: number = this.length): Uint8Array<ArrayBuffer> {
    const slice = super.subarray(begin, end);
    CountingChunk.work += slice.length;
    // A plain view: what the decoder keeps is not counted again when something else reads it.
    return new Uint8Array(slice.buffer, slice.byteOffset, slice.length);
  }
}

/** Pushes `wire` in chunks of `chunkSize` and returns the counted work per input byte. */
function workPerByte(decoder: Decoder<unknown>, wire: Uint8Array, chunkSize: number): number {
  CountingChunk.work = 0;
  let count = 0;
  for (let i = 0; i < wire.length; i += chunkSize) count += decoder.push(CountingChunk.copyOf(wire.slice(i, i + chunkSize))).length;
  count += decoder.end().length;
  expect(count).toBeGreaterThan(0);
  return CountingChunk.work / wire.length;
}

describe('decoding work is linear in the bytes, whatever the chunk size (counted, not timed)', () => {
  it('grows the carry buffer by doubling: appending N bytes one at a time moves fewer than 3N bytes', () => {
    for (const piece of [1, 7]) {
      const buffer = new ByteBuffer(2 * 1024 * 1024);
      const source = new Uint8Array(piece).fill(0x61);
      const total = 256 * 1024;
      for (let n = 0; n < total; n += piece) buffer.append(source, 0, piece);
      expect(buffer.movedBytes).toBeLessThan(3 * total);
    }
  });

  it('holds for one long line pushed 7 bytes at a time', () => {
    const wire = new Uint8Array(256 * 1024 + 1).fill(0x61);
    wire[wire.length - 1] = 0x0a;
    expect(workPerByte(createLineDecoder({ maxLineBytes: 1024 * 1024 }), wire, 7)).toBeLessThan(4);
  });

  it('holds for many short lines pushed 1 byte at a time', () => {
    const wire = new TextEncoder().encode('hello, world\n'.repeat(5_000));
    expect(workPerByte(createLineDecoder(), wire, 1)).toBeLessThan(4);
  });

  it('holds for many short lines in large chunks', () => {
    const wire = new TextEncoder().encode('hello, world\n'.repeat(40_000));
    expect(workPerByte(createLineDecoder(), wire, 64 * 1024)).toBeLessThan(4);
  });

  it('holds for one large length-prefixed frame pushed 1 byte at a time', () => {
    const wire = encodeLengthPrefixed(new Uint8Array(64 * 1024), { maxFrameBytes: 4 * 1024 * 1024 });
    expect(workPerByte(createLengthPrefixedDecoder({ maxFrameBytes: 4 * 1024 * 1024 }), wire, 1)).toBeLessThan(4);
  });

  it('counts a decoder that rescans what it holds as far above the bound (the test can fail)', () => {
    // A deliberately quadratic "decoder": keeps every chunk and searches all of them for LF each time.
    const held: Uint8Array[] = [];
    const naive: Decoder<number> = {
      bufferedBytes: 0,
      push(chunk) {
        held.push(chunk);
        for (const c of held) c.indexOf(0x0a);
        return [];
      },
      pushEach() {
        return undefined;
      },
      end: () => [1],
    };
    const wire = new Uint8Array(4000).fill(0x61);
    expect(workPerByte(naive, wire, 1)).toBeGreaterThan(100);
  });
});
