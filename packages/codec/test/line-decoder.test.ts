import { describe, expect, it } from 'vitest';
import { pushChunk } from '../src/decoder.js';
import { CodecError } from '../src/errors.js';
import { DEFAULT_MAX_LINE_BYTES, createLineDecoder, createLineFrameDecoder, encodeLine, encodeLineFrame } from '../src/line-decoder.js';
import { decodeAtCuts, decodeInChunks, hex, utf8 } from './helpers.js';

describe('createLineDecoder', () => {
  it('decodes the golden fixture of LF and CRLF lines', () => {
    // "hi\n" "caf\u00e9\r\n" "\n" "x\ry\n"
    const wire = hex('68 69 0a  63 61 66 c3 a9 0d 0a  0a  78 0d 79 0a');
    expect(createLineDecoder().push(wire)).toEqual(['hi', 'café', '', 'x\ry']);
  });

  it('buffers a line split across two chunks', () => {
    const decoder = createLineDecoder();
    expect(decoder.push(utf8('hel'))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(3);
    expect(decoder.push(utf8('lo\nwor'))).toEqual(['hello']);
    expect(decoder.push(utf8('ld\n'))).toEqual(['world']);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes the same lines when fed one byte at a time', () => {
    const wire = utf8('grüß dich\r\n€uro\n😀 emoji\n\n');
    expect(decodeInChunks(createLineDecoder(), wire, 1)).toEqual(['grüß dich', '€uro', '😀 emoji', '']);
  });

  it('decodes many lines from one chunk', () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}`);
    expect(createLineDecoder().push(utf8(lines.join('\n') + '\n'))).toEqual(lines);
  });

  it('treats a CR split from its LF across chunks as part of the terminator', () => {
    expect(decodeAtCuts(createLineDecoder(), utf8('abc\r\ndef\r\n'), [4, 9])).toEqual(['abc', 'def']);
  });

  it('never splits a multi-byte character cut inside its bytes', () => {
    const wire = utf8('😀\n');
    for (let cut = 1; cut < 4; cut++) {
      expect(decodeAtCuts(createLineDecoder(), wire, [cut])).toEqual(['😀']);
    }
  });

  it('returns a final unterminated line at end()', () => {
    const decoder = createLineDecoder();
    expect(decoder.push(utf8('a\nlast'))).toEqual(['a']);
    expect(decoder.end()).toEqual(['last']);
  });

  it('accepts a line of exactly maxLineBytes and refuses one byte more', () => {
    expect(createLineDecoder({ maxLineBytes: 5 }).push(utf8('12345\n'))).toEqual(['12345']);
    expect(createLineDecoder({ maxLineBytes: 5 }).push(utf8('12345\r\n'))).toEqual(['12345']);
    expect(() => createLineDecoder({ maxLineBytes: 5 }).push(utf8('123456\n'))).toThrow(
      expect.objectContaining({ code: 'ERR_LINE_TOO_LONG' }),
    );
  });

  it('refuses an over-long partial line before buffering it', () => {
    const decoder = createLineDecoder({ maxLineBytes: 5 });
    expect(decoder.push(utf8('12345'))).toEqual([]);
    // Six bytes that do not end in CR cannot become a valid line.
    expect(() => decoder.push(utf8('6'))).toThrow(expect.objectContaining({ code: 'ERR_LINE_TOO_LONG' }));
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('waits for the LF after a CR that ends a line of exactly the limit', () => {
    const decoder = createLineDecoder({ maxLineBytes: 5 });
    expect(decoder.push(utf8('12345\r'))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(6);
    expect(decoder.push(utf8('\n'))).toEqual(['12345']);
  });

  it('applies the default limit of 8 KiB', () => {
    expect(DEFAULT_MAX_LINE_BYTES).toBe(8192);
    const ok = 'a'.repeat(8192);
    expect(createLineDecoder().push(utf8(`${ok}\n`))).toEqual([ok]);
    expect(() => createLineDecoder().push(utf8(`${ok}a\n`))).toThrow(CodecError);
  });

  it('discards over-long lines up to the next LF and counts them', () => {
    const decoder = createLineDecoder({ maxLineBytes: 4, overflow: 'discard' });
    expect(decoder.push(utf8('ok\ntoo long\nfin'))).toEqual(['ok']);
    expect(decoder.push(utf8('e\nlonger and lon'))).toEqual(['fine']);
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.push(utf8('ger\nyes\n'))).toEqual(['yes']);
    expect(decoder.discardedLines).toBe(2);
  });

  it('rejects invalid UTF-8 with ERR_INVALID_UTF8 by default', () => {
    for (const bad of ['ff 0a', 'c3 28 0a', 'ed a0 80 0a' /* surrogate */, 'c0 af 0a' /* overlong */, 'f4 90 80 80 0a']) {
      expect(() => createLineDecoder().push(hex(bad)), bad).toThrow(expect.objectContaining({ code: 'ERR_INVALID_UTF8' }));
    }
  });

  it('replaces invalid UTF-8 with U+FFFD when asked', () => {
    expect(createLineDecoder({ invalidUtf8: 'replace' }).push(hex('61 ff 62 0a'))).toEqual(['a\uFFFDb']);
  });

  it('is terminal after its first error and hands over the lines decoded before it', () => {
    const decoder = createLineDecoder({ maxLineBytes: 4 });
    const { messages, error } = pushChunk(decoder, utf8('one\ntwo\ntoo long\nafter\n'));
    expect(messages).toEqual(['one', 'two']);
    expect(error?.code).toBe('ERR_LINE_TOO_LONG');
    // Later calls fail with the same code and do not hand the same lines over again.
    const again = pushChunk(decoder, utf8('x\n'));
    expect(again.messages).toEqual([]);
    expect(again.error?.code).toBe('ERR_LINE_TOO_LONG');
    expect(() => decoder.end()).toThrow(expect.objectContaining({ code: 'ERR_LINE_TOO_LONG' }));
  });

  it('refuses push after end', () => {
    const decoder = createLineDecoder();
    decoder.end();
    expect(() => decoder.push(utf8('a\n'))).toThrow(expect.objectContaining({ code: 'ERR_DECODER_ENDED' }));
  });

  it('refuses bad options with ERR_INVALID_OPTION', () => {
    expect(() => createLineDecoder({ maxLineBytes: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => createLineDecoder({ maxLineBytes: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => createLineDecoder({ overflow: 'drop' as 'discard' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});

describe('flush()', () => {
  it('hands over a partial line, as a lab client that sends no newline needs', () => {
    const decoder = createLineDecoder();
    expect(decoder.push(utf8('hello'))).toEqual([]);
    expect(decoder.flush()).toEqual(['hello']);
    expect(decoder.bufferedBytes).toBe(0);
    expect(decoder.flush()).toEqual([]);
  });

  it('drops the empty line made by a newline that arrives after a flush', () => {
    const decoder = createLineDecoder();
    decoder.push(utf8('hello\r'));
    expect(decoder.flush()).toEqual(['hello']);
    expect(decoder.push(utf8('\nnext\n\n'))).toEqual(['next', '']);
  });

  it('keeps an incomplete multi-byte character for the next chunk', () => {
    const decoder = createLineDecoder();
    const euro = utf8('€'); // e2 82 ac
    decoder.push(new Uint8Array([0x61, ...euro.subarray(0, 2)]));
    expect(decoder.flush()).toEqual(['a']);
    expect(decoder.bufferedBytes).toBe(2);
    expect(decoder.push(new Uint8Array([euro[2]!, 0x0a]))).toEqual(['€']);
  });

  it('returns nothing while only part of a character is buffered', () => {
    const decoder = createLineDecoder();
    decoder.push(hex('f0 9f'));
    expect(decoder.flush()).toEqual([]);
    expect(decoder.push(hex('98 80 0a'))).toEqual(['😀']);
  });
});

describe('createLineFrameDecoder', () => {
  it('returns raw line payloads without decoding them', () => {
    const frames = createLineFrameDecoder().push(hex('ff fe 0a 61 0d 0a'));
    expect(frames.map((f) => Buffer.from(f).toString('hex'))).toEqual(['fffe', '61']);
  });

  it('copies payloads assembled from several chunks so later pushes cannot change them', () => {
    const decoder = createLineFrameDecoder();
    decoder.push(utf8('ab'));
    const [first] = decoder.push(utf8('c\n'));
    decoder.push(utf8('xyz\n'));
    expect(Buffer.from(first!).toString()).toBe('abc');
  });
});

describe('encodeLine', () => {
  it('writes UTF-8 followed by LF', () => {
    expect(Buffer.from(encodeLine('café')).toString('hex')).toBe('636166c3a90a');
    expect(Buffer.from(encodeLineFrame(utf8('ok'))).toString('hex')).toBe('6f6b0a');
  });

  it('refuses a line containing LF or ending in CR, and allows a CR inside', () => {
    expect(() => encodeLine('a\nb')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_LINE' }));
    expect(() => encodeLine('a\r')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_LINE' }));
    expect(() => encodeLineFrame(utf8('a\n'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_LINE' }));
    expect(createLineDecoder().push(encodeLine('a\rb'))).toEqual(['a\rb']);
  });

  it('refuses a line over the limit and accepts one exactly at it', () => {
    expect(encodeLine('abc', { maxLineBytes: 3 })).toHaveLength(4);
    expect(() => encodeLine('abcd', { maxLineBytes: 3 })).toThrow(expect.objectContaining({ code: 'ERR_LINE_TOO_LONG' }));
  });
});
