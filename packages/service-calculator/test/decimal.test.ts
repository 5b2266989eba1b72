import { describe, expect, it } from 'vitest';
import { formatDecimal, normalizeDecimal, rationalToDecimal } from '../src/index.js';

describe('decimal values', () => {
  it('normalizes trailing zeros away so every value has one representation', () => {
    expect(normalizeDecimal(2500n, 3)).toEqual({ coefficient: 25n, scale: 1 });
    expect(normalizeDecimal(0n, 7)).toEqual({ coefficient: 0n, scale: 0 });
    expect(normalizeDecimal(-100n, 0)).toEqual({ coefficient: -100n, scale: 0 });
  });

  it('prints canonical plain decimals', () => {
    expect(formatDecimal({ coefficient: -4176n, scale: 2 })).toBe('-41.76');
    expect(formatDecimal({ coefficient: 3n, scale: 1 })).toBe('0.3');
    expect(formatDecimal({ coefficient: -5n, scale: 4 })).toBe('-0.0005');
    expect(formatDecimal({ coefficient: 0n, scale: 0 })).toBe('0');
    expect(formatDecimal({ coefficient: 10n ** 30n, scale: 0 })).toBe(`1${'0'.repeat(30)}`);
  });

  it('turns terminating rationals into exact decimals and rounds the others', () => {
    expect(formatDecimal(rationalToDecimal(3n, -8n, 34))).toBe('-0.375');
    expect(formatDecimal(rationalToDecimal(0n, 5n, 34))).toBe('0');
    expect(formatDecimal(rationalToDecimal(1n, 6n, 3))).toBe('0.167');
    expect(formatDecimal(rationalToDecimal(-1n, 6n, 3))).toBe('-0.167');
    expect(formatDecimal(rationalToDecimal(1n, 3n * 2n ** 10n, 2))).toBe('0.00033');
    expect(() => rationalToDecimal(1n, 0n, 34)).toThrow(RangeError);
  });
});
