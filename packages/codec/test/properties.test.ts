import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { createDatagramCodec } from '../src/datagram-codec.js';
import type { Decoder } from '../src/decoder.js';
import { isCodecError } from '../src/errors.js';
import { type LengthPrefix, createLengthPrefixedDecoder, encodeLengthPrefixed } from '../src/length-prefixed.js';
import { createLineDecoder, createLineFrameDecoder, encodeLine } from '../src/line-decoder.js';
import { createJsonCodec, createTextCodec } from '../src/message-codec.js';
import { createLineCodec, createStreamCodec, lengthPrefixedFraming, lineFraming } from '../src/stream-codec.js';
import { concat, decodeAtCuts } from './helpers.js';

const RUNS = { numRuns: 300 };

/** Text that survives UTF-8 (no lone surrogates), without LF and not ending in CR. */
const lineText = fc
  .string({ unit: 'binary', maxLength: 40 })
  .map((s) => new TextDecoder().decode(new TextEncoder().encode(s)).replace(/\n/g, ' ').replace(/\r+$/, ''));

const cuts = (length: number) => fc.array(fc.integer({ min: 0, max: length }), { maxLength: 20 });

/** An encoded wire and cut points anywhere in it, including inside multi-byte characters. */
function withCuts<T>(arb: fc.Arbitrary<T>, encode: (value: T) => Uint8Array): fc.Arbitrary<[T, Uint8Array, number[]]> {
  return arb.chain((value) => {
    const wire = encode(value);
    return cuts(wire.length).map((c): [T, Uint8Array, number[]] => [value, wire, c]);
  });
}

describe('encode → random rechunk → decode = input', () => {
  it('holds for text lines, with LF or CRLF terminators', () => {
    const lines = fc.array(fc.tuple(lineText, fc.boolean()), { maxLength: 20 });
    fc.assert(
      fc.property(
        withCuts(lines, (ls) => concat(ls.map(([text, crlf]) => new TextEncoder().encode(text + (crlf ? '\r\n' : '\n'))))),
        ([ls, wire, c]) => {
          expect(decodeAtCuts(createLineDecoder(), wire, c)).toEqual(ls.map(([text]) => text));
        },
      ),
      RUNS,
    );
  });

  it('holds for the line codec encoder', () => {
    const codec = createLineCodec();
    fc.assert(
      fc.property(withCuts(fc.array(lineText, { maxLength: 20 }), (ls) => concat(ls.map((l) => codec.encode(l)))), ([ls, wire, c]) => {
        expect(decodeAtCuts(codec.createDecoder(), wire, c)).toEqual(ls);
      }),
      RUNS,
    );
  });

  it('holds for raw line frames', () => {
    const payload = fc.uint8Array({ maxLength: 30 }).map((b) => b.map((x) => (x === 0x0a || x === 0x0d ? 0x20 : x)));
    fc.assert(
      fc.property(withCuts(fc.array(payload, { maxLength: 20 }), (ps) => concat(ps.map((p) => concat([p, new Uint8Array([10])])))), ([ps, wire, c]) => {
        expect(decodeAtCuts(createLineFrameDecoder(), wire, c).map((f) => Array.from(f))).toEqual(ps.map((p) => Array.from(p)));
      }),
      RUNS,
    );
  });

  for (const prefix of ['u32', 'u16', 'varint'] as const satisfies readonly LengthPrefix[]) {
    it(`holds for length-prefixed frames with a ${prefix} prefix`, () => {
      const options = { maxFrameBytes: 300, prefix };
      const frames = fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 });
      fc.assert(
        fc.property(withCuts(frames, (fs) => concat(fs.map((f) => encodeLengthPrefixed(f, options)))), ([fs, wire, c]) => {
          const decoded = decodeAtCuts(createLengthPrefixedDecoder(options), wire, c);
          expect(decoded.map((f) => Array.from(f))).toEqual(fs.map((f) => Array.from(f)));
        }),
        RUNS,
      );
    });
  }

  it('holds for JSON messages over length-prefixed framing and over lines (NDJSON)', () => {
    const json = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown);
    for (const framing of [lengthPrefixedFraming({ maxFrameBytes: 1 << 16 }), lineFraming({ maxLineBytes: 1 << 16 })]) {
      const codec = createStreamCodec(framing, createJsonCodec(v.unknown()));
      fc.assert(
        fc.property(withCuts(fc.array(json, { maxLength: 8 }), (ms) => concat(ms.map((m) => codec.encode(m)))), ([ms, wire, c]) => {
          expect(decodeAtCuts(codec.createDecoder(), wire, c)).toEqual(ms);
        }),
        { numRuns: 150 },
      );
    }
  });

  it('holds for text datagrams', () => {
    const codec = createDatagramCodec(createTextCodec());
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (raw) => {
        const text = new TextDecoder().decode(new TextEncoder().encode(raw));
        expect(codec.decode(codec.encode(text))).toBe(text);
      }),
      RUNS,
    );
  });
});

describe('random bytes → only typed errors, never memory past the limit', () => {
  const LIMIT = 64;
  const decoders: [string, () => Decoder<unknown>][] = [
    ['line', () => createLineDecoder({ maxLineBytes: LIMIT })],
    ['line (discard)', () => createLineDecoder({ maxLineBytes: LIMIT, overflow: 'discard' })],
    ['u32', () => createLengthPrefixedDecoder({ maxFrameBytes: LIMIT })],
    ['u16', () => createLengthPrefixedDecoder({ maxFrameBytes: LIMIT, prefix: 'u16' })],
    ['varint', () => createLengthPrefixedDecoder({ maxFrameBytes: LIMIT, prefix: 'varint' })],
    ['json over u32', () => createStreamCodec(lengthPrefixedFraming({ maxFrameBytes: LIMIT }), createJsonCodec(v.unknown())).createDecoder()],
    ['ndjson', () => createStreamCodec(lineFraming({ maxLineBytes: LIMIT }), createJsonCodec(v.object({ a: v.number() }))).createDecoder()],
  ];

  for (const [name, create] of decoders) {
    it(`holds for the ${name} decoder`, () => {
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 20 }), fc.boolean(), (chunks, smallValues) => {
          const decoder = create();
          for (const raw of chunks) {
            // Small byte values make plausible length prefixes more likely.
            const chunk = smallValues ? raw.map((b) => b % 70) : raw;
            try {
              decoder.push(chunk);
            } catch (error) {
              expect(isCodecError(error), String(error)).toBe(true);
            }
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(LIMIT + 5);
          }
          try {
            decoder.end();
          } catch (error) {
            expect(isCodecError(error), String(error)).toBe(true);
          }
        }),
        { numRuns: 500 },
      );
    });
  }

  it('holds for random lines fed to encodeLine', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (text) => {
        try {
          encodeLine(text, { maxLineBytes: LIMIT });
        } catch (error) {
          expect(isCodecError(error)).toBe(true);
        }
      }),
      RUNS,
    );
  });
});
