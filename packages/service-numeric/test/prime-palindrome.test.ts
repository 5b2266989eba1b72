import { connectLocal } from '@netlab/service';
import { describe, expect, it } from 'vitest';
import { NumericError, answerPrimePalindrome, createPrimePalindromeService, parsePrimePalindromeRequest } from '../src/index.js';

describe('prime-palindrome service', () => {
  it('answers prime and palindrome questions in either word order and any case', async () => {
    const conn = connectLocal(createPrimePalindromeService());
    expect(await conn.send('7 prime')).toEqual(['7 is prime']);
    expect(await conn.send('PRIME 8')).toEqual(['8 is not prime']);
    expect(await conn.send('121 Palindrome')).toEqual(['121 is a palindrome']);
    expect(await conn.send('palindrome 123')).toEqual(['123 is not a palindrome']);
  });

  it('prints n in canonical decimal', () => {
    expect(answerPrimePalindrome('+5 prime')).toBe('5 is prime');
    expect(answerPrimePalindrome('-0 palindrome')).toBe('0 is a palindrome');
    expect(answerPrimePalindrome('00013 prime')).toBe('13 is prime');
    expect(answerPrimePalindrome('-007 prime')).toBe('-7 is not prime');
  });

  it('says negatives, 0 and 1 are not prime and negatives are not palindromes', () => {
    expect(answerPrimePalindrome('-7 prime')).toBe('-7 is not prime');
    expect(answerPrimePalindrome('0 prime')).toBe('0 is not prime');
    expect(answerPrimePalindrome('1 prime')).toBe('1 is not prime');
    expect(answerPrimePalindrome('-121 palindrome')).toBe('-121 is not a palindrome');
  });

  it('handles 64-bit numbers and beyond', () => {
    expect(answerPrimePalindrome('18446744073709551557 prime')).toBe('18446744073709551557 is prime');
    expect(answerPrimePalindrome('170141183460469231731687303715884105727 prime')).toBe(
      '170141183460469231731687303715884105727 is prime',
    );
    expect(answerPrimePalindrome('318665857834031151167461 prime')).toBe('318665857834031151167461 is not prime');
  });

  it('ignores surrounding whitespace and accepts tabs between the words', () => {
    expect(answerPrimePalindrome('  11 \t prime  ')).toBe('11 is prime');
  });

  it.each([
    ['', 'ERROR empty request'],
    ['   ', 'ERROR empty request'],
    ['7', 'ERROR expected two words: <integer> <prime|palindrome>'],
    ['7 prime please', 'ERROR expected two words: <integer> <prime|palindrome>'],
    ['7 even', 'ERROR unknown operation (expected prime or palindrome)'],
    ['hello world', 'ERROR unknown operation (expected prime or palindrome)'],
    ['prime palindrome', 'ERROR expected one integer and one operation'],
    ['7.5 prime', 'ERROR not an integer'],
    ['seven prime', 'ERROR not an integer'],
    ['0x1F prime', 'ERROR not an integer'],
  ])('answers %j with %j', (line, reply) => {
    expect(answerPrimePalindrome(line)).toBe(reply);
  });

  it('accepts exactly maxDigits digits and refuses one more', async () => {
    const conn = connectLocal(createPrimePalindromeService({ maxDigits: 20 }));
    expect(await conn.send(`${'9'.repeat(20)} palindrome`)).toEqual([`${'9'.repeat(20)} is a palindrome`]);
    expect(await conn.send(`${'9'.repeat(21)} palindrome`)).toEqual(['ERROR too many digits (max 20)']);
  });

  it('exposes the parser for clients', () => {
    expect(parsePrimePalindromeRequest('prime 13')).toEqual({ ok: true, n: 13n, operation: 'prime' });
    expect(parsePrimePalindromeRequest('13')).toEqual({ ok: false, reason: 'expected two words: <integer> <prime|palindrome>' });
  });

  it('refuses a maxDigits below 1', () => {
    expect(() => createPrimePalindromeService({ maxDigits: 0 })).toThrow(NumericError);
  });

  it('answers a line the codec rejected with its reason', () => {
    const service = createPrimePalindromeService();
    const peer = { transport: 'local', address: 'x', port: 0, id: 'x' } as const;
    expect(service.malformed?.(Object.assign(new Error('x'), { code: 'ERR_LINE_TOO_LONG' }), peer)).toEqual(['ERROR line too long']);
  });
});
