import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPalindrome } from '../src/index.js';

/** Reverses a string of ASCII digits. */
const reverse = (s: string): string => s.split('').reverse().join('');

describe('isPalindrome', () => {
  it('recognises palindromes and non-palindromes', () => {
    for (const n of [0n, 7n, 11n, 121n, 12321n, 1234567890987654321n]) expect(isPalindrome(n)).toBe(true);
    for (const n of [10n, 12n, 123n, 1001001001002n]) expect(isPalindrome(n)).toBe(false);
  });

  it('says a negative number is never a palindrome', () => {
    expect(isPalindrome(-121n)).toBe(false);
    expect(isPalindrome(-1n)).toBe(false);
  });

  it('accepts every number built by mirroring its digits', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 40n }), fc.boolean(), (n, odd) => {
        const s = n.toString();
        const mirrored = BigInt(s + reverse(s).slice(odd ? 1 : 0));
        expect(isPalindrome(mirrored)).toBe(true);
      }),
    );
  });

  it('agrees with reversing the decimal string', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), (n) => {
        const s = n.toString();
        expect(isPalindrome(n)).toBe(s === reverse(s));
      }),
    );
  });
});
