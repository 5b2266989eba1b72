/**
 * Server suite of docs/protocols/prime-palindrome.md. The large-number case comes last: a server
 * that answers by trial division is still busy with it when the suite ends, and must not slow
 * the other cases down.
 */
import type { ServerSuite } from '../case.js';
import { type LineProtocol, LINE_LIMIT, concurrencyCases, converse, faultCases, framingCases, robustnessCases, serverCase } from './helpers.js';

const X = 'prime-palindrome';

/** Primes and composites whose answers are exact (below 2⁶⁴ or well-known). */
const SMALL_PRIMES = [2, 3, 5, 7, 97, 101, 7919, 104729];
const SMALL_COMPOSITES = [1, 4, 9, 91, 561, 1001, 7917, 104730];
/** 18-digit primes: trial division needs ~10⁹ steps for each. */
const LARGE_PRIMES = ['100000000000000003', '100000000000000013', '999999999999999877', '999999999999999989'];

export const primePalindromeProtocol: LineProtocol = {
  exercise: X,
  ready: () => Promise.resolve(),
  exchange: (rng) => {
    const prime = rng.chance(0.5);
    const list = prime ? SMALL_PRIMES : SMALL_COMPOSITES;
    const n = list[rng.int(list.length)] ?? 7;
    return { send: `${n} prime`, expect: [`${n} is ${prime ? 'prime' : 'not prime'}`] };
  },
  utf8: { send: '٣ prime', expect: ['ERROR not an integer'] },
  atLimit: () => {
    const request = ' prime';
    return { send: `${'0'.repeat(LINE_LIMIT - request.length - 1)}7${request}`, expect: ['7 is prime'] };
  },
  tooLong: 'ERROR line too long',
  invalidUtf8: 'ERROR invalid UTF-8',
};

function reply(probe: Parameters<typeof converse>[0], send: string, expect: string): Promise<void> {
  return converse(probe, { send, expect: [expect] });
}

export const primePalindromeSuite: ServerSuite = {
  role: 'server',
  exercise: X,
  transport: 'tcp',
  cases: [
    serverCase(X, 'basic', 'prime', 'answers "<n> prime" for small primes and composites', async (ctx) => {
      const probe = await ctx.tcp();
      await reply(probe, '7 prime', '7 is prime');
      await reply(probe, '8 prime', '8 is not prime');
      await converse(probe, primePalindromeProtocol.exchange(ctx.rng, 0, probe));
      await converse(probe, primePalindromeProtocol.exchange(ctx.rng, 0, probe));
    }),
    serverCase(X, 'basic', 'not-prime-rules', 'negative numbers, 0 and 1 are not prime', async (ctx) => {
      const probe = await ctx.tcp();
      await reply(probe, '1 prime', '1 is not prime');
      await reply(probe, '0 prime', '0 is not prime');
      await reply(probe, '-7 prime', '-7 is not prime');
    }),
    serverCase(X, 'basic', 'palindrome', 'answers "<n> palindrome"; a negative number is not a palindrome', async (ctx) => {
      const probe = await ctx.tcp();
      await reply(probe, '121 palindrome', '121 is a palindrome');
      await reply(probe, '123 palindrome', '123 is not a palindrome');
      await reply(probe, 'palindrome -121', '-121 is not a palindrome');
    }),
    serverCase(X, 'basic', 'word-order-and-case', 'accepts the operation first and in any case ("PRIME 8", "Palindrome 7")', async (ctx) => {
      const probe = await ctx.tcp();
      await reply(probe, 'PRIME 8', '8 is not prime');
      await reply(probe, 'Palindrome 7', '7 is a palindrome');
    }),
    serverCase(X, 'basic', 'canonical', 'prints the number canonically ("+0005 prime" → "5 is prime", "-0" → "0")', async (ctx) => {
      const probe = await ctx.tcp();
      await reply(probe, '+0005 prime', '5 is prime');
      await reply(probe, '-0 palindrome', '0 is a palindrome');
      await reply(probe, '  0110 palindrome\t', '110 is not a palindrome');
    }),
    ...framingCases(primePalindromeProtocol),
    ...concurrencyCases(primePalindromeProtocol),
    ...robustnessCases(primePalindromeProtocol),
    serverCase(X, 'robustness', 'errors', 'answers each malformed request with its documented error and goes on', async (ctx) => {
      const probe = await ctx.tcp();
      await reply(probe, '', 'ERROR empty request');
      await reply(probe, '7', 'ERROR expected two words: <integer> <prime|palindrome>');
      await reply(probe, '7 prime now', 'ERROR expected two words: <integer> <prime|palindrome>');
      await reply(probe, '12 even', 'ERROR unknown operation (expected prime or palindrome)');
      await reply(probe, 'prime palindrome', 'ERROR expected one integer and one operation');
      await reply(probe, '7.5 prime', 'ERROR not an integer');
      await reply(probe, '0x1F prime', 'ERROR not an integer');
      await reply(probe, '7 prime', '7 is prime');
    }),
    serverCase(X, 'robustness', 'digit-cap', 'answers 500 digits and refuses 501 with "ERROR too many digits (max 500)"', async (ctx) => {
      const probe = await ctx.tcp();
      await reply(probe, `${'1'.repeat(500)} palindrome`, `${'1'.repeat(500)} is a palindrome`);
      await reply(probe, `${'1'.repeat(501)} prime`, 'ERROR too many digits (max 500)');
    }),
    ...faultCases(primePalindromeProtocol),
    serverCase(X, 'basic', 'large-prime', 'answers an 18-digit and a 20-digit prime within the reply time (no trial division)', async (ctx) => {
      const probe = await ctx.tcp();
      const prime = LARGE_PRIMES[ctx.rng.int(LARGE_PRIMES.length)] ?? '100000000000000003';
      await reply(probe, `${prime} prime`, `${prime} is prime`);
      await reply(probe, '18446744073709551557 prime', '18446744073709551557 is prime');
      await reply(probe, '999999866000004473 prime', '999999866000004473 is not prime');
    }),
  ],
};
