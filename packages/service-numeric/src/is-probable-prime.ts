/**
 * Primality of integers of any size.
 *
 * - n < 2: not prime (negatives, 0 and 1).
 * - Trial division by the primes below 1000 settles small n and rejects most composites cheaply.
 * - n < 2^64: Miller–Rabin to the prime bases 2, 3, 5, …, 37, which is deterministic: the smallest
 *   composite that is a strong pseudoprime to all twelve is 318665857834031151167461 > 2^64
 *   (Jaeschke 1993; Sorenson & Webster 2017). Smaller n stop after the shortest prefix of those
 *   bases already proven sufficient (e.g. 2, 3, 5, 7 for n < 3215031751).
 * - n ≥ 2^64: Baillie–PSW (a strong probable-prime test to base 2, then a strong Lucas test with
 *   Selfridge's parameters). No composite is known to pass it; none exists below 2^64 (Gilchrist
 *   2013, from Feitsma's base-2 pseudoprime list). It is a probable-prime test: its error bound
 *   is empirical ("no counterexample known"), not proven.
 */
import { isStrongLucasProbablePrime, integerSqrt } from './lucas.js';
import { isStrongProbablePrime } from './miller-rabin.js';

/** The Miller–Rabin bases that make the test deterministic for every n < 2^64. */
export const MILLER_RABIN_BASES: readonly bigint[] = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n];

/** 2^64: below it {@link isProbablePrime} is exact. */
export const DETERMINISTIC_LIMIT = 1n << 64n;

// ψ_t: the smallest strong pseudoprime to the first t prime bases. For n < ψ_t, t bases suffice.
const SUFFICIENT_BASES: readonly (readonly [limit: bigint, bases: number])[] = [
  [2047n, 1],
  [1373653n, 2],
  [25326001n, 3],
  [3215031751n, 4],
  [2152302898747n, 5],
  [3474749660383n, 6],
  [341550071728321n, 7],
  [3825123056546413051n, 9],
  [DETERMINISTIC_LIMIT, 12],
];

const SMALL_PRIMES: readonly bigint[] = (() => {
  const primes: bigint[] = [];
  for (let i = 2; i < 1000; i++) {
    if (primes.every((p) => BigInt(i) % p !== 0n)) primes.push(BigInt(i));
  }
  return primes;
})();
const SMALL_PRIME_SQUARE = 1000n * 1000n;

/**
 * True when `n` is prime: exact for n < 2^64, Baillie–PSW above (no known counterexample).
 * Cost grows with the cube of the digit count: cap the input size before calling it.
 */
export function isProbablePrime(n: bigint): boolean {
  if (n < 2n) return false;
  for (const p of SMALL_PRIMES) {
    if (n === p) return true;
    if (n % p === 0n) return false;
  }
  // No prime factor below 1000, so any n < 1000² is prime.
  if (n < SMALL_PRIME_SQUARE) return true;
  for (const [limit, count] of SUFFICIENT_BASES) {
    if (n < limit) return MILLER_RABIN_BASES.slice(0, count).every((base) => isStrongProbablePrime(n, base));
  }
  if (!isStrongProbablePrime(n, 2n)) return false;
  const root = integerSqrt(n);
  if (root * root === n) return false;
  return isStrongLucasProbablePrime(n);
}
