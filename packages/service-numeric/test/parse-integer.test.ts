import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_DIGITS, NumericError, parseInteger } from '../src/index.js';

describe('parseInteger', () => {
  it('parses signed decimal integers of any size', () => {
    expect(parseInteger('42')).toBe(42n);
    expect(parseInteger('+5')).toBe(5n);
    expect(parseInteger('-17')).toBe(-17n);
    expect(parseInteger('-0')).toBe(0n);
    expect(parseInteger('0007')).toBe(7n);
    expect(parseInteger('123456789012345678901234567890')).toBe(123456789012345678901234567890n);
  });

  it.each(['', '+', '-', '1.5', '1e5', '0x10', ' 1', '1_000', '١٢', '--1', '1-'])('refuses %j', (text) => {
    expect(() => parseInteger(text)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INTEGER' }));
  });

  it('accepts exactly the maximum number of significant digits and refuses one more', () => {
    expect(parseInteger('9'.repeat(DEFAULT_MAX_DIGITS))).toBe(10n ** BigInt(DEFAULT_MAX_DIGITS) - 1n);
    expect(() => parseInteger('1'.repeat(DEFAULT_MAX_DIGITS + 1))).toThrow(NumericError);
    expect(() => parseInteger('1'.repeat(DEFAULT_MAX_DIGITS + 1))).toThrow(expect.objectContaining({ code: 'ERR_TOO_MANY_DIGITS' }));
  });

  it('does not count leading zeros or the sign against the cap', () => {
    expect(parseInteger(`-000${'9'.repeat(5)}`, 5)).toBe(-99999n);
    expect(parseInteger('0000', 1)).toBe(0n);
  });
});
