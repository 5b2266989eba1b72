import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DETERMINISTIC_LIMIT,
  integerSqrt,
  isProbablePrime,
  isStrongLucasProbablePrime,
  isStrongProbablePrime,
  jacobi,
  modPow,
} from '../src/index.js';

function sieve(limit: number): Uint8Array {
  const isPrime = new Uint8Array(limit).fill(1);
  isPrime[0] = 0;
  isPrime[1] = 0;
  for (let i = 2; i * i < limit; i++) if (isPrime[i] === 1) for (let j = i * i; j < limit; j += i) isPrime[j] = 0;
  return isPrime;
}

const CARMICHAEL = [
  561n, 1105n, 1729n, 2465n, 2821n, 6601n, 8911n, 41041n, 825265n, 321197185n, 5394826801n, 232250619601n,
  9746347772161n, 1436697831295441n, 60977817398996785n, 7156857700403137441n, 1791562810662585767521n,
];

// ψ_t: the smallest strong pseudoprimes to the first t prime bases (OEIS A014233), all composite.
const STRONG_PSEUDOPRIMES = [
  2047n, 1373653n, 25326001n, 3215031751n, 2152302898747n, 3474749660383n, 341550071728321n, 3825123056546413051n,
  318665857834031151167461n, 3317044064679887385961981n,
];

const PRIMES = [
  2n, 3n, 5n, 997n, 1009n, 1_000_003n, 2_147_483_647n, 999_999_999_989n, 999_999_999_999_999_989n,
  1_000_000_000_000_000_003n, (1n << 61n) - 1n, 18_446_744_073_709_551_557n, (1n << 89n) - 1n, (1n << 107n) - 1n,
  (1n << 127n) - 1n, 2n ** 521n - 1n, 10n ** 100n + 267n,
];

describe('isProbablePrime', () => {
  it('agrees with a sieve for every n below 200 000', () => {
    const table = sieve(200_000);
    const wrong: number[] = [];
    for (let n = 0; n < table.length; n++) if (isProbablePrime(BigInt(n)) !== (table[n] === 1)) wrong.push(n);
    expect(wrong).toEqual([]);
  });

  it('says negatives, 0 and 1 are not prime', () => {
    for (const n of [-7n, -2n, -1n, 0n, 1n]) expect(isProbablePrime(n)).toBe(false);
  });

  it.each(PRIMES)('recognises the prime %s', (p) => {
    expect(isProbablePrime(p)).toBe(true);
  });

  it.each(CARMICHAEL)('rejects the Carmichael number %s', (n) => {
    expect(isProbablePrime(n)).toBe(false);
  });

  it.each(STRONG_PSEUDOPRIMES)('rejects %s, a strong pseudoprime to several prime bases', (n) => {
    expect(isProbablePrime(n)).toBe(false);
  });

  it('rejects 3825123056546413051 although it fools Miller–Rabin to every prime base up to 31', () => {
    const n = 3825123056546413051n;
    expect([2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n].every((a) => isStrongProbablePrime(n, a))).toBe(true);
    expect(isStrongProbablePrime(n, 37n)).toBe(false);
    expect(isProbablePrime(n)).toBe(false);
  });

  it('rejects 318665857834031151167461, which fools all twelve bases, through Baillie–PSW', () => {
    const n = 318665857834031151167461n;
    expect(n > DETERMINISTIC_LIMIT).toBe(true);
    expect([2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n].every((a) => isStrongProbablePrime(n, a))).toBe(true);
    expect(isProbablePrime(n)).toBe(false);
  });

  it('rejects products of two large primes and perfect squares beyond 2^64', () => {
    const p = 18_446_744_073_709_551_557n;
    const q = 1_000_000_000_000_000_003n;
    expect(isProbablePrime(p * q)).toBe(false);
    expect(isProbablePrime(p * p)).toBe(false);
    expect(isProbablePrime((1n << 128n) + 1n)).toBe(false);
  });

  it('never calls a product of two numbers above 1 prime', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 2n, max: 1n << 40n }), fc.bigInt({ min: 2n, max: 1n << 40n }), (a, b) => {
        expect(isProbablePrime(a * b)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe('the building blocks', () => {
  it('modPow matches repeated multiplication', () => {
    expect(modPow(3n, 200n, 1_000_007n)).toBe(3n ** 200n % 1_000_007n);
    expect(modPow(-2n, 3n, 7n)).toBe(6n);
    expect(modPow(5n, 0n, 1n)).toBe(0n);
  });

  it('integerSqrt is the floor of the square root', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 200n }), (n) => {
        const r = integerSqrt(n);
        expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
      }),
    );
  });

  it('jacobi matches known symbols', () => {
    expect(jacobi(5n, 21n)).toBe(1);
    expect(jacobi(2n, 7n)).toBe(1);
    expect(jacobi(3n, 7n)).toBe(-1);
    expect(jacobi(-1n, 7n)).toBe(-1);
    expect(jacobi(-7n, 15n)).toBe(1);
    expect(jacobi(6n, 15n)).toBe(0);
  });

  it('passes every prime through the strong Lucas test', () => {
    const table = sieve(50_000);
    const failed: number[] = [];
    for (let n = 1001; n < table.length; n += 2) if (table[n] === 1 && !isStrongLucasProbablePrime(BigInt(n))) failed.push(n);
    expect(failed).toEqual([]);
  });

  it('finds exactly the known strong Lucas pseudoprimes below 30 000 (OEIS A217255)', () => {
    const table = sieve(30_000);
    const found: number[] = [];
    for (let n = 1001; n < table.length; n += 2) {
      if (table[n] === 1 || Number.isInteger(Math.sqrt(n))) continue;
      if (isStrongLucasProbablePrime(BigInt(n))) found.push(n);
    }
    expect(found).toEqual([5459, 5777, 10877, 16109, 18971, 22499, 24569, 25199]);
  });
});
