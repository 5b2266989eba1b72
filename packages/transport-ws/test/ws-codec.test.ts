import { createJsonCodec, isCodecError } from '@netlab/codec';
import { describe, expect, it } from 'vitest';
import { closeCodeOf, createWsMessageCodec, createWsTextCodec, isWsError } from '../src/index.js';
import { WsError } from '../src/errors.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isCodecError(error) || isWsError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('createWsTextCodec', () => {
  const codec = createWsTextCodec({ maxMessageBytes: 4 });

  it('sends text frames and decodes one line per message', () => {
    expect(codec.frames).toBe('text');
    expect(codec.decode(bytes('abcd'))).toBe('abcd');
  });

  it('drops one trailing \\n or \\r\\n, not more', () => {
    expect(codec.decode(bytes('abcd\n'))).toBe('abcd');
    expect(codec.decode(bytes('abcd\r\n'))).toBe('abcd');
    expect(codeOf(() => codec.decode(bytes('ab\n\n')))).toBe('ERR_INVALID_LINE');
  });

  it('accepts a multi-byte line exactly at the limit and refuses one byte over', () => {
    expect(codec.decode(bytes('éé'))).toBe('éé');
    expect(codeOf(() => codec.decode(bytes('ééa')))).toBe('ERR_LINE_TOO_LONG');
    expect(codeOf(() => codec.encode('abcde'))).toBe('ERR_LINE_TOO_LONG');
  });

  it('refuses invalid UTF-8 with ERR_INVALID_UTF8', () => {
    expect(codeOf(() => codec.decode(Uint8Array.of(0xc3)))).toBe('ERR_INVALID_UTF8');
  });

  it('refuses a bad limit with ERR_INVALID_OPTION', () => {
    expect(codeOf(() => createWsTextCodec({ maxMessageBytes: 0 }))).toBe('ERR_INVALID_OPTION');
  });
});

describe('createWsMessageCodec', () => {
  const json = createJsonCodec({ '~standard': { version: 1, vendor: 'test', validate: (value: unknown) => ({ value }) } });
  const codec = createWsMessageCodec(json, undefined, { maxMessageBytes: 16 });

  it('sends binary frames by default and round-trips JSON', () => {
    expect(codec.frames).toBe('binary');
    expect(codec.decode(codec.encode({ a: 1 }))).toEqual({ a: 1 });
  });

  it('passes a payload at the limit and refuses one byte over in both directions', () => {
    expect(codec.decode(bytes('"12345678901234"'))).toBe('12345678901234');
    expect(codeOf(() => codec.decode(bytes('"123456789012345"')))).toBe('ERR_FRAME_TOO_LARGE');
    expect(codeOf(() => codec.encode('123456789012345'))).toBe('ERR_FRAME_TOO_LARGE');
  });

  it('keeps the message codec errors', () => {
    expect(codeOf(() => codec.decode(bytes('{nope')))).toBe('ERR_MALFORMED_JSON');
  });
});

describe('closeCodeOf', () => {
  it('maps each way a session ends to its WebSocket close code', () => {
    expect(closeCodeOf({ kind: 'local' })).toBe(1000);
    expect(closeCodeOf({ kind: 'idle' })).toBe(1000);
    expect(closeCodeOf({ kind: 'shutdown' })).toBe(1001);
    expect(closeCodeOf({ kind: 'error', error: new WsError('ERR_MALFORMED_INPUT') })).toBe(1008);
    expect(closeCodeOf({ kind: 'error', error: new WsError('ERR_OUTPUT_LIMIT') })).toBe(1008);
    expect(closeCodeOf({ kind: 'error', error: new WsError('ERR_SESSION_FAILED') })).toBe(1011);
    expect(closeCodeOf({ kind: 'error', error: new WsError('ERR_MESSAGE_TOO_LARGE') })).toBe(1009);
  });
});
