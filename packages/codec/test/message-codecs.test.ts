import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { isFlushable, pushChunk } from '../src/decoder.js';
import { createDatagramCodec } from '../src/datagram-codec.js';
import { createJsonCodec, createTextCodec } from '../src/message-codec.js';
import type { StandardSchemaV1 } from '../src/standard-schema.js';
import { createLineCodec, createStreamCodec, lengthPrefixedFraming, lineFraming } from '../src/stream-codec.js';
import { concat, hex, utf8 } from './helpers.js';

const Withdraw = v.object({ type: v.literal('withdraw'), amount: v.pipe(v.number(), v.integer(), v.minValue(1)) });

describe('createJsonCodec', () => {
  const codec = createJsonCodec(Withdraw);

  it('decodes valid JSON into a typed message and encodes it back', () => {
    const message = codec.decode(utf8('{"amount": 500, "type": "withdraw"}'));
    expect(message).toEqual({ type: 'withdraw', amount: 500 });
    expect(new TextDecoder().decode(codec.encode(message))).toBe('{"type":"withdraw","amount":500}');
  });

  it('reports malformed JSON as ERR_MALFORMED_JSON', () => {
    expect(() => codec.decode(utf8('{"amount": '))).toThrow(expect.objectContaining({ code: 'ERR_MALFORMED_JSON' }));
  });

  it('reports absurd nesting as ERR_MALFORMED_JSON, not a stack overflow', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    let code: unknown;
    try {
      createJsonCodec(v.unknown()).decode(utf8(deep));
      code = 'parsed';
    } catch (error) {
      code = (error as { code?: unknown }).code;
    }
    // V8 either parses it (then it is valid JSON) or throws RangeError, which must become ours.
    expect(['parsed', 'ERR_MALFORMED_JSON']).toContain(code);
  });

  it('reports schema violations as ERR_SCHEMA with the offending paths', () => {
    try {
      codec.decode(utf8('{"type":"withdraw","amount":-5}'));
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_SCHEMA' });
      const issues = (error as { details: { issues: { path: string }[] } }).details.issues;
      expect(issues.map((issue) => issue.path)).toEqual(['amount']);
    }
  });

  it('reports invalid UTF-8 in a JSON payload as ERR_INVALID_UTF8', () => {
    expect(() => codec.decode(hex('7b ff 7d'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_UTF8' }));
  });

  it('refuses an asynchronous schema with ERR_ASYNC_SCHEMA', () => {
    const asyncSchema: StandardSchemaV1<unknown, unknown> = {
      '~standard': { version: 1, vendor: 'test', validate: (value) => Promise.resolve({ value }) },
    };
    expect(() => createJsonCodec(asyncSchema).decode(utf8('1'))).toThrow(expect.objectContaining({ code: 'ERR_ASYNC_SCHEMA' }));
  });

  it('validates outgoing messages when validateOnEncode is set', () => {
    const strict = createJsonCodec(Withdraw, { validateOnEncode: true });
    expect(() => strict.encode({ type: 'withdraw', amount: 0 })).toThrow(expect.objectContaining({ code: 'ERR_SCHEMA' }));
  });
});

describe('createTextCodec', () => {
  it('decodes UTF-8 strictly by default and can strip one trailing newline', () => {
    expect(createTextCodec().decode(utf8('hi\n'))).toBe('hi\n');
    expect(createTextCodec({ stripTrailingNewline: true }).decode(utf8('hi\r\n'))).toBe('hi');
    expect(createTextCodec({ stripTrailingNewline: true }).decode(utf8('hi\n\n'))).toBe('hi\n');
    expect(() => createTextCodec().decode(hex('ff'))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_UTF8' }));
    expect(createTextCodec({ invalidUtf8: 'replace' }).decode(hex('ff'))).toBe('\uFFFD');
  });
});

describe('createStreamCodec', () => {
  it('composes length-prefixed framing with a JSON codec', () => {
    const codec = createStreamCodec(lengthPrefixedFraming({ maxFrameBytes: 256 }), createJsonCodec(Withdraw));
    const wire = concat([codec.encode({ type: 'withdraw', amount: 1 }), codec.encode({ type: 'withdraw', amount: 2 })]);
    const decoder = codec.createDecoder();
    expect(decoder.push(wire.subarray(0, 7))).toEqual([]);
    expect(decoder.push(wire.subarray(7))).toEqual([
      { type: 'withdraw', amount: 1 },
      { type: 'withdraw', amount: 2 },
    ]);
    expect(isFlushable(decoder)).toBe(false);
  });

  it('composes line framing with JSON (NDJSON) and flushes a partial line', () => {
    const codec = createStreamCodec(lineFraming(), createJsonCodec(v.number()));
    const decoder = codec.createDecoder();
    expect(decoder.push(utf8('1\n2\n3'))).toEqual([1, 2]);
    if (!isFlushable(decoder)) throw new Error('a line-framed decoder must be flushable');
    expect(decoder.flush()).toEqual([3]);
  });

  it('hands over messages decoded before a message that fails its schema, then stays failed', () => {
    const codec = createStreamCodec(lineFraming(), createJsonCodec(v.number()));
    const decoder = codec.createDecoder();
    const { messages, error } = pushChunk(decoder, utf8('1\n2\n"three"\n4\n'));
    expect(messages).toEqual([1, 2]);
    expect(error?.code).toBe('ERR_SCHEMA');
    expect(() => decoder.push(utf8('5\n'))).toThrow(expect.objectContaining({ code: 'ERR_SCHEMA' }));
  });

  it('hands over messages decoded before a framing error', () => {
    const codec = createStreamCodec(lineFraming({ maxLineBytes: 3 }), createJsonCodec(v.number()));
    const { messages, error } = pushChunk(codec.createDecoder(), utf8('1\n22\n4444\n'));
    expect(messages).toEqual([1, 22]);
    expect(error?.code).toBe('ERR_LINE_TOO_LONG');
  });

  it('uses separate inbound and outbound codecs', () => {
    const codec = createStreamCodec(lineFraming(), createJsonCodec(v.number()), createTextCodec());
    expect(new TextDecoder().decode(codec.encode('ok'))).toBe('ok\n');
  });
});

describe('createLineCodec', () => {
  it('decodes and encodes text lines', () => {
    const codec = createLineCodec({ maxLineBytes: 4 });
    expect(codec.createDecoder().push(utf8('ab\r\ncd\n'))).toEqual(['ab', 'cd']);
    expect(new TextDecoder().decode(codec.encode('abcd'))).toBe('abcd\n');
    expect(() => codec.encode('abcde')).toThrow(expect.objectContaining({ code: 'ERR_LINE_TOO_LONG' }));
  });
});

describe('createDatagramCodec', () => {
  it('accepts a datagram of exactly the limit and refuses one byte more, both ways', () => {
    const codec = createDatagramCodec(createTextCodec(), undefined, { maxDatagramBytes: 4 });
    expect(codec.decode(utf8('abcd'))).toBe('abcd');
    expect(() => codec.decode(utf8('abcde'))).toThrow(expect.objectContaining({ code: 'ERR_DATAGRAM_TOO_LARGE' }));
    expect(codec.encode('abcd')).toHaveLength(4);
    expect(() => codec.encode('abcde')).toThrow(expect.objectContaining({ code: 'ERR_DATAGRAM_TOO_LARGE' }));
  });

  it('defaults to 1200 bytes and refuses limits beyond a UDP payload', () => {
    expect(createDatagramCodec(createTextCodec()).maxDatagramBytes).toBe(1200);
    expect(() => createDatagramCodec(createTextCodec(), undefined, { maxDatagramBytes: 70_000 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });

  it('decodes JSON datagrams with a schema', () => {
    const codec = createDatagramCodec(createJsonCodec(Withdraw));
    expect(codec.decode(codec.encode({ type: 'withdraw', amount: 7 }))).toEqual({ type: 'withdraw', amount: 7 });
  });
});
