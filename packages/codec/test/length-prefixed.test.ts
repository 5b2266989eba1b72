import { describe, expect, it } from 'vitest';
import { pushChunk } from '../src/decoder.js';
import { createLengthPrefixedDecoder, encodeLengthPrefixed, varintLength } from '../src/length-prefixed.js';
import { concat, decodeInChunks, hex, utf8 } from './helpers.js';

const text = (frames: Uint8Array[]): string[] => frames.map((f) => Buffer.from(f).toString());

describe('createLengthPrefixedDecoder', () => {
  it('decodes the golden u32 fixture, including a zero-length frame', () => {
    const wire = hex('00000002 6869  00000000  00000003 616263');
    expect(text(createLengthPrefixedDecoder({ maxFrameBytes: 16 }).push(wire))).toEqual(['hi', '', 'abc']);
  });

  it('decodes the golden u16 and varint fixtures', () => {
    expect(text(createLengthPrefixedDecoder({ maxFrameBytes: 16, prefix: 'u16' }).push(hex('0002 6869 0000')))).toEqual(['hi', '']);
    const long = 'x'.repeat(300); // varint 300 = ac 02
    const wire = concat([hex('02 6869 ac02'), utf8(long)]);
    expect(text(createLengthPrefixedDecoder({ maxFrameBytes: 1000, prefix: 'varint' }).push(wire))).toEqual(['hi', long]);
  });

  it('buffers a frame split inside its prefix and inside its body', () => {
    const decoder = createLengthPrefixedDecoder({ maxFrameBytes: 16 });
    expect(decoder.push(hex('0000'))).toEqual([]);
    expect(decoder.push(hex('0005 6865'))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(2);
    expect(text(decoder.push(hex('6c6c6f 00000001')))).toEqual(['hello']);
    expect(text(decoder.push(hex('21')))).toEqual(['!']);
  });

  it('decodes frames fed one byte at a time, for every prefix', () => {
    for (const prefix of ['u32', 'u16', 'varint'] as const) {
      const options = { maxFrameBytes: 500, prefix };
      const payloads = ['', 'a', 'x'.repeat(200), 'ü'.repeat(100)];
      const wire = concat(payloads.map((p) => encodeLengthPrefixed(utf8(p), options)));
      expect(text(decodeInChunks(createLengthPrefixedDecoder(options), wire, 1)), prefix).toEqual(payloads);
    }
  });

  it('returns frames lying whole in a chunk as views of it, without copying', () => {
    const wire = hex('00000002 6869');
    const [frame] = createLengthPrefixedDecoder({ maxFrameBytes: 4 }).push(wire);
    expect(frame!.buffer).toBe(wire.buffer);
  });

  it('accepts a frame of exactly maxFrameBytes and refuses one byte more from the prefix alone', () => {
    expect(createLengthPrefixedDecoder({ maxFrameBytes: 3 }).push(hex('00000003 616263'))).toHaveLength(1);
    const decoder = createLengthPrefixedDecoder({ maxFrameBytes: 3 });
    // Only the prefix is pushed: the error comes before any body byte is buffered.
    expect(() => decoder.push(hex('00000004'))).toThrow(expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }));
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('refuses a 4 GiB prefix against a small limit without allocating', () => {
    expect(() => createLengthPrefixedDecoder({ maxFrameBytes: 1024 }).push(hex('ffffffff'))).toThrow(
      expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE', details: { length: 0xffffffff, maxFrameBytes: 1024 } }),
    );
  });

  it('reports a stream that ends inside a frame as ERR_TRUNCATED', () => {
    const inPrefix = createLengthPrefixedDecoder({ maxFrameBytes: 8 });
    inPrefix.push(hex('0000'));
    expect(() => inPrefix.end()).toThrow(expect.objectContaining({ code: 'ERR_TRUNCATED' }));
    const inBody = createLengthPrefixedDecoder({ maxFrameBytes: 8 });
    inBody.push(hex('00000004 61'));
    expect(() => inBody.end()).toThrow(expect.objectContaining({ code: 'ERR_TRUNCATED' }));
    expect(createLengthPrefixedDecoder({ maxFrameBytes: 8 }).end()).toEqual([]);
  });

  it('refuses over-long, over-large and non-minimal varints', () => {
    const options = { maxFrameBytes: 0xffffffff, prefix: 'varint' } as const;
    expect(() => createLengthPrefixedDecoder(options).push(hex('8080808080'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_VARINT' }));
    expect(() => createLengthPrefixedDecoder(options).push(hex('ffffffff1f'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_VARINT' }));
    expect(() => createLengthPrefixedDecoder(options).push(hex('8000'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_VARINT' }));
  });

  it('hands over the frames decoded before an oversize prefix and stays failed', () => {
    const decoder = createLengthPrefixedDecoder({ maxFrameBytes: 2 });
    const { messages, error } = pushChunk(decoder, hex('00000001 61  00000009 6262'));
    expect(text(messages)).toEqual(['a']);
    expect(error?.code).toBe('ERR_FRAME_TOO_LARGE');
    expect(() => decoder.push(hex('00'))).toThrow(expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }));
  });

  it('requires maxFrameBytes and validates the prefix', () => {
    expect(() => createLengthPrefixedDecoder({} as { maxFrameBytes: number })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => createLengthPrefixedDecoder({ maxFrameBytes: 70_000, prefix: 'u16' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => createLengthPrefixedDecoder({ maxFrameBytes: 1, prefix: 'toString' as 'u32' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});

describe('encodeLengthPrefixed', () => {
  it('writes big-endian u32, u16 and minimal varint prefixes', () => {
    expect(Buffer.from(encodeLengthPrefixed(utf8('hi'), { maxFrameBytes: 8 })).toString('hex')).toBe('000000026869');
    expect(Buffer.from(encodeLengthPrefixed(utf8('hi'), { maxFrameBytes: 8, prefix: 'u16' })).toString('hex')).toBe('00026869');
    expect(Buffer.from(encodeLengthPrefixed(new Uint8Array(300), { maxFrameBytes: 300, prefix: 'varint' }).subarray(0, 2)).toString('hex')).toBe('ac02');
    expect([0, 127, 128, 16383, 16384, 0xffffffff].map(varintLength)).toEqual([1, 1, 2, 2, 3, 5]);
  });

  it('refuses a payload over maxFrameBytes', () => {
    expect(() => encodeLengthPrefixed(new Uint8Array(5), { maxFrameBytes: 4 })).toThrow(expect.objectContaining({ code: 'ERR_FRAME_TOO_LARGE' }));
  });
});
