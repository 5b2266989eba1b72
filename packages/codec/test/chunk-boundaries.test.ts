import { describe, expect, it } from 'vitest';
import { pushChunk } from '../src/decoder.js';
import { createLengthPrefixedDecoder, encodeLengthPrefixed } from '../src/length-prefixed.js';
import { createLineDecoder } from '../src/line-decoder.js';
import { concat, decodeAtCuts, utf8 } from './helpers.js';

// Lines that exercise every path of the run decoder: ASCII, latin1-range (2-byte), 3- and
// 4-byte characters, CRLF, a bare CR inside a line, empty lines.
const LINES = ['GET / HTTP/1.1', 'grüße', '', 'em — dash', 'bare\rcr inside', 'emoji 🎉 end', 'ascii again', '€', 'last'];
const WIRE = utf8(LINES.map((line, i) => (i % 3 === 1 ? `${line}\r\n` : `${line}\n`)).join(''));
// Runs of 4 KiB and more take the Node latin1 path (LATIN1_RUN_MIN_BYTES), shorter ones TextDecoder:
// the long fixture has the short one after and before 5 KiB of padding lines, so both paths see it.
const PAD = Array.from({ length: 80 }, (_, i) => `padding line ${i} `.padEnd(60, '.'));
const LONG_LINES = [...LINES, ...PAD, ...LINES];
const LONG_WIRE = concat([WIRE, utf8(PAD.map((line) => `${line}\n`).join('')), WIRE]);
const joined = (lines: string[]): string => JSON.stringify(lines);

/** The same bytes in a Buffer and in plain Uint8Arrays at an odd byte offset of a larger buffer. */
function variants(bytes: Uint8Array): [string, Uint8Array][] {
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 1);
  return [
    ['Buffer', Buffer.from(bytes)],
    ['Uint8Array', Uint8Array.from(bytes)],
    ['Uint8Array at offset 1', shifted.subarray(1, 1 + bytes.length)],
  ];
}

describe('line decoding at every chunk boundary', () => {
  for (const [kind, bytes] of variants(WIRE)) {
    it(`decodes the same lines whatever single cut splits a ${kind} chunk`, () => {
      for (let cut = 0; cut <= bytes.length; cut++) {
        expect(decodeAtCuts(createLineDecoder(), bytes, [cut]), `cut at ${cut}`).toEqual(LINES);
      }
    });

    it(`decodes the same lines whatever two cuts split a ${kind} chunk`, () => {
      for (let a = 0; a <= bytes.length; a += 3) {
        for (let b = a; b <= bytes.length; b += 2) {
          expect(decodeAtCuts(createLineDecoder(), bytes, [a, b]), `cuts at ${a}, ${b}`).toEqual(LINES);
        }
      }
    });
  }

  for (const [kind, bytes] of variants(LONG_WIRE)) {
    it(`decodes the same lines whatever single cut splits a 5 KiB ${kind} chunk`, () => {
      const expected = joined(LONG_LINES);
      for (let cut = 0; cut <= bytes.length; cut++) {
        expect(joined(decodeAtCuts(createLineDecoder(), bytes, [cut])), `cut at ${cut}`).toBe(expected);
      }
    });
  }

  it('counts a line limit in bytes, not characters, inside a run of several lines', () => {
    // 'é' is 2 bytes: 4 of them are 8 bytes in 4 characters.
    const ok = createLineDecoder({ maxLineBytes: 8 });
    expect(ok.push(Buffer.from('a\néééé\r\nb\n'))).toEqual(['a', 'éééé', 'b']);
    const over = createLineDecoder({ maxLineBytes: 7 });
    const result = pushChunk(over, Buffer.from('a\néééé\nb\n'));
    expect(result.messages).toEqual(['a']);
    expect(result.error?.code).toBe('ERR_LINE_TOO_LONG');
  });

  it('drops an over-long line in the middle of a run under discard and keeps decoding the rest', () => {
    const decoder = createLineDecoder({ maxLineBytes: 4, overflow: 'discard' });
    expect(decoder.push(Buffer.from('ok\nüüüü\nné\nxyz\n'))).toEqual(['ok', 'né', 'xyz']);
    expect(decoder.discardedLines).toBe(1);
  });

  it('hands over the lines before invalid UTF-8 in a run, then fails with ERR_INVALID_UTF8', () => {
    const bytes = concat([utf8('one\ntwo ü\n'), Uint8Array.of(0x74, 0xff, 0x0a), utf8('four\n')]);
    const result = pushChunk(createLineDecoder(), Buffer.from(bytes));
    expect(result.messages).toEqual(['one', 'two ü']);
    expect(result.error?.code).toBe('ERR_INVALID_UTF8');
    expect(createLineDecoder({ invalidUtf8: 'replace' }).push(Buffer.from(bytes))).toEqual(['one', 'two ü', 't\ufffd', 'four']);
  });

  it('applies the byte limit, discard and invalid UTF-8 rules inside a 5 KiB run too', () => {
    const pad = PAD.map((line) => `${line}\n`).join('');
    const ok = createLineDecoder({ maxLineBytes: 64 });
    expect(ok.push(Buffer.from(`${pad}${'é'.repeat(32)}\r\nb\n`)).slice(-2)).toEqual(['é'.repeat(32), 'b']);
    const over = pushChunk(createLineDecoder({ maxLineBytes: 64 }), Buffer.from(`${pad}${'é'.repeat(32)}x\nb\n`));
    expect(over.messages).toEqual(PAD);
    expect(over.error?.code).toBe('ERR_LINE_TOO_LONG');
    const discard = createLineDecoder({ maxLineBytes: 64, overflow: 'discard' });
    expect(discard.push(Buffer.from(`${pad}${'ü'.repeat(40)}\nné\n`)).slice(-1)).toEqual(['né']);
    expect(discard.discardedLines).toBe(1);
    const bad = pushChunk(createLineDecoder(), Buffer.from(concat([utf8(`${pad}two ü\n`), Uint8Array.of(0x74, 0xff, 0x0a), utf8(`${pad}four\n`)])));
    expect(bad.messages).toEqual([...PAD, 'two ü']);
    expect(bad.error?.code).toBe('ERR_INVALID_UTF8');
  });

  it('drops the empty line after a flush when it opens a run', () => {
    const decoder = createLineDecoder();
    decoder.push(Buffer.from('hello'));
    expect(decoder.flush()).toEqual(['hello']);
    expect(decoder.push(Buffer.from('\r\nnext ü\nlast\n'))).toEqual(['next ü', 'last']);
  });
});

const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

describe('length-prefixed decoding at every chunk boundary', () => {
  const payloads = [utf8(''), utf8('a'), new Uint8Array(127).fill(1), new Uint8Array(128).fill(2), new Uint8Array(300).fill(3), utf8('tail')];
  for (const prefix of ['varint', 'u32', 'u16'] as const) {
    const options = { maxFrameBytes: 300, prefix };
    const wire = concat(payloads.map((p) => encodeLengthPrefixed(p, options)));
    const expected = payloads.map(toHex);
    for (const [kind, bytes] of variants(wire)) {
      it(`decodes the same ${prefix} frames whatever single cut splits a ${kind} chunk`, () => {
        for (let cut = 0; cut <= bytes.length; cut++) {
          expect(decodeAtCuts(createLengthPrefixedDecoder(options), bytes, [cut]).map(toHex), `cut at ${cut}`).toEqual(expected);
        }
      });
    }
  }

  it('returns a frame that lies whole in a Buffer chunk as a plain Uint8Array view of its memory', () => {
    const chunk = Buffer.from(concat([encodeLengthPrefixed(utf8('abc'), { maxFrameBytes: 8 }), encodeLengthPrefixed(utf8('de'), { maxFrameBytes: 8 })]));
    const [first, second] = createLengthPrefixedDecoder({ maxFrameBytes: 8 }).push(chunk);
    expect(first?.buffer).toBe(chunk.buffer);
    expect(first?.byteOffset).toBe(chunk.byteOffset + 4);
    expect(Buffer.isBuffer(second)).toBe(false);
    expect(Buffer.from(second ?? []).toString()).toBe('de');
  });
});
