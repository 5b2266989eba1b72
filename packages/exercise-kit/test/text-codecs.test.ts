import { isFlushable } from '@netlab/codec';
import { describe, expect, it } from 'vitest';
import { createTextDatagramCodec, createTextLineCodec } from '../src/text-codecs.js';

describe('createTextLineCodec', () => {
  it('reads lines up to maxLineBytes and refuses one byte more', () => {
    const codec = createTextLineCodec({ maxLineBytes: 4, maxReplyBytes: 12 });
    expect(codec.createDecoder().push(Buffer.from('abcd\n'))).toEqual(['abcd']);
    expect(() => codec.createDecoder().push(Buffer.from('abcde\n'))).toThrow(/exceeds 4 bytes/);
    expect(isFlushable(codec.createDecoder())).toBe(true);
  });

  it('writes replies up to maxReplyBytes and refuses one byte more', () => {
    const codec = createTextLineCodec({ maxLineBytes: 4, maxReplyBytes: 12 });
    expect(Buffer.from(codec.encode('x'.repeat(12))).toString()).toBe(`${'x'.repeat(12)}\n`);
    expect(() => codec.encode('x'.repeat(13))).toThrow();
  });

  it('writes replies as long as the lines it reads by default', () => {
    const codec = createTextLineCodec({ maxLineBytes: 4 });
    expect(codec.encode('abcd')).toHaveLength(5);
    expect(() => codec.encode('abcde')).toThrow();
  });
});

describe('createTextDatagramCodec', () => {
  it('drops one trailing newline (nc -u) and keeps the rest of the text', () => {
    const codec = createTextDatagramCodec();
    expect(codec.decode(Buffer.from('SEND_DATE\n'))).toBe('SEND_DATE');
    expect(codec.decode(Buffer.from('SEND_DATE\r\n'))).toBe('SEND_DATE');
    expect(codec.decode(Buffer.from('a\nb'))).toBe('a\nb');
  });

  it('accepts a datagram exactly at the limit and refuses one byte more', () => {
    const codec = createTextDatagramCodec({ maxDatagramBytes: 8 });
    expect(codec.decode(Buffer.from('12345678'))).toBe('12345678');
    expect(() => codec.decode(Buffer.from('123456789'))).toThrow(/exceeds the limit of 8/);
    expect(() => codec.encode('123456789')).toThrow(/exceeds the limit of 8/);
  });
});
