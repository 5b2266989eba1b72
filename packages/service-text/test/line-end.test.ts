import { describe, expect, it } from 'vitest';
import { stripTrailingCarriageReturns } from '../src/index.js';

describe('stripTrailingCarriageReturns', () => {
  it('removes every CR at the end and nothing else', () => {
    expect(stripTrailingCarriageReturns('x')).toBe('x');
    expect(stripTrailingCarriageReturns('x\r')).toBe('x');
    expect(stripTrailingCarriageReturns('x\r\r\r')).toBe('x');
    expect(stripTrailingCarriageReturns('\r\rx\r')).toBe('\r\rx');
    expect(stripTrailingCarriageReturns('\r\r')).toBe('');
    expect(stripTrailingCarriageReturns('')).toBe('');
  });

  it('is linear on a long run of CRs', () => {
    const line = `${'\r'.repeat(100_000)}x${'\r'.repeat(100_000)}`;
    expect(stripTrailingCarriageReturns(line)).toBe(`${'\r'.repeat(100_000)}x`);
  });
});
