import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT_MINOR, formatAmount, isValidMinorAmount, parseAmount } from '../src/amount.js';

describe('parseAmount', () => {
  it.each([
    ['500', 50_000],
    ['500.5', 50_050],
    ['500.50', 50_050],
    ['0.01', 1],
    [' 12.34 ', 1_234],
    ['007', 700],
    ['100000000.00', MAX_AMOUNT_MINOR],
  ])('reads %j as %d minor units', (text, minor) => {
    expect(parseAmount(text)).toEqual({ ok: true, minor });
  });

  it.each([
    ['', 'empty'],
    ['abc', 'not-a-number'],
    ['1e3', 'not-a-number'],
    ['12,50', 'not-a-number'],
    ['-5', 'negative'],
    ['0', 'zero'],
    ['0.00', 'zero'],
    ['1.234', 'too-many-decimals'],
    ['100000000.01', 'too-large'],
    ['99999999999999999999999', 'too-large'],
  ])('refuses %j as %s', (text, problem) => {
    const parsed = parseAmount(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.problem).toBe(problem);
      expect(parsed.message.length).toBeGreaterThan(0);
    }
  });

  it('accepts exactly the largest amount and refuses one cent more', () => {
    expect(isValidMinorAmount(MAX_AMOUNT_MINOR)).toBe(true);
    expect(isValidMinorAmount(MAX_AMOUNT_MINOR + 1)).toBe(false);
    expect(isValidMinorAmount(0)).toBe(false);
    expect(isValidMinorAmount(1.5)).toBe(false);
  });
});

describe('formatAmount', () => {
  it('prints two decimals', () => {
    expect(formatAmount(100_000)).toBe('1000.00');
    expect(formatAmount(5)).toBe('0.05');
    expect(formatAmount(4_572_000)).toBe('45720.00');
    expect(formatAmount(-150)).toBe('-1.50');
  });
});
