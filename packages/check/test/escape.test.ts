import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_SHOWN_CHARS, showBytes, showExpectation } from '../src/index.js';

describe('showBytes', () => {
  it('escapes newlines, tabs, quotes, control and invisible characters, and bytes that are not UTF-8', () => {
    expect(showBytes('hi\r\n')).toBe('"hi\\r\\n"');
    expect(showBytes('a\tb"c\\')).toBe('"a\\tb\\"c\\\\"');
    expect(showBytes('\u001b[31m\u0000')).toBe('"\\x1b[31m\\x00"');
    expect(showBytes('txt\u202Egnp\u2028')).toBe('"txt\\u{202e}gnp\\u{2028}"');
    expect(showBytes(new Uint8Array([0x68, 0xff, 0xc3, 0xa9, 0xe2, 0x82]))).toBe('"h\\xffé\\xe2\\x82"');
    expect(showBytes('grüß 👋')).toBe('"grüß 👋"');
  });

  it('shows a value at the limit whole and cuts one character over, saying how many bytes were left out', () => {
    expect(showBytes('a'.repeat(DEFAULT_MAX_SHOWN_CHARS))).toBe(`"${'a'.repeat(DEFAULT_MAX_SHOWN_CHARS)}"`);
    expect(showBytes('a'.repeat(DEFAULT_MAX_SHOWN_CHARS + 1))).toBe(`"${'a'.repeat(DEFAULT_MAX_SHOWN_CHARS)}"… (1 more bytes)`);
    expect(showBytes('é'.repeat(100), 10)).toBe(`"${'é'.repeat(10)}"… (180 more bytes)`);
  });

  it('names a pattern as a pattern', () => {
    expect(showExpectation(/^\d+$/u)).toBe('a line matching /^\\d+$/u');
    expect(showExpectation('ok')).toBe('"ok"');
  });
});
