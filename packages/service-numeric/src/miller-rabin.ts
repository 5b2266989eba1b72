/**
 * The strong probable-prime (Miller–Rabin) test to one base.
 *
 * Write n − 1 = d · 2^s with d odd. n is a strong probable prime to base a when a^d ≡ 1 (mod n)
 * or a^(d·2^r) ≡ −1 (mod n) for some 0 ≤ r < s. Every odd prime passes for every base; an odd
 * composite passes for at most a quarter of the bases (Rabin 1980).
 */
import { modPow } from './mod-pow.js';

/** True when odd `n > 2` is a strong probable prime to `base` (a base ≡ 0 mod n counts as passing). */
export function isStrongProbablePrime(n: bigint, base: bigint): boolean {
  const a = base % n;
  if (a === 0n) return true;
  const nMinusOne = n - 1n;
  let d = nMinusOne;
  let s = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    s++;
  }
  let x = modPow(a, d, n);
  if (x === 1n || x === nMinusOne) return true;
  for (let r = 1; r < s; r++) {
    x = (x * x) % n;
    if (x === nMinusOne) return true;
    if (x === 1n) return false;
  }
  return false;
}
