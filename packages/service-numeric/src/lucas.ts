/**
 * The strong Lucas probable-prime test with Selfridge's parameters (method A), the second half
 * of Baillie–PSW.
 *
 * D is the first of 5, −7, 9, −11, 13, … with Jacobi(D/n) = −1; P = 1, Q = (1 − D)/4. Write
 * n + 1 = d · 2^s with d odd; n passes when U_d ≡ 0 (mod n) or V_(d·2^r) ≡ 0 (mod n) for some
 * 0 ≤ r < s. Every prime not dividing 2QD passes.
 */

/** The Jacobi symbol (a/n) for odd n > 0: −1, 0 or 1. */
export function jacobi(a: bigint, n: bigint): -1 | 0 | 1 {
  let x = a % n;
  if (x < 0n) x += n;
  let m = n;
  let result: -1 | 1 = 1;
  while (x !== 0n) {
    while ((x & 1n) === 0n) {
      x >>= 1n;
      const r = m & 7n;
      if (r === 3n || r === 5n) result = result === 1 ? -1 : 1;
    }
    [x, m] = [m, x];
    if ((x & 3n) === 3n && (m & 3n) === 3n) result = result === 1 ? -1 : 1;
    x %= m;
  }
  return m === 1n ? result : 0;
}

/** ⌊√n⌋ for n ≥ 0, by Newton's method on BigInt. */
export function integerSqrt(n: bigint): bigint {
  if (n < 2n) return n;
  // Start above the root (2^⌈bits/2⌉) so the iteration decreases monotonically to it.
  let x = 1n << BigInt(Math.ceil(n.toString(2).length / 2));
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}

const mod = (x: bigint, n: bigint): bigint => {
  const r = x % n;
  return r < 0n ? r + n : r;
};

/** Halves x modulo odd n. */
const half = (x: bigint, n: bigint): bigint => ((x & 1n) === 1n ? (x + n) >> 1n : x >> 1n);

/**
 * True when odd `n > 2` that is not a perfect square is a strong Lucas probable prime
 * (Selfridge parameters). Callers must exclude perfect squares, for which no D exists.
 */
export function isStrongLucasProbablePrime(n: bigint): boolean {
  let dAbs = 5n;
  let negative = false;
  let d = 5n;
  for (;;) {
    d = negative ? -dAbs : dAbs;
    const j = jacobi(d, n);
    if (j === -1) break;
    // A shared factor: composite unless n itself is |D| (a small prime).
    if (j === 0 && dAbs !== n) return false;
    dAbs += 2n;
    negative = !negative;
  }
  const p = 1n;
  const q = (1n - d) / 4n;
  let k = n + 1n;
  let s = 0;
  while ((k & 1n) === 0n) {
    k >>= 1n;
    s++;
  }
  // Left-to-right binary ladder over k, keeping U_i, V_i and Q^i (mod n).
  const bits = k.toString(2);
  let u = 1n;
  let v = p;
  let qk = mod(q, n);
  for (let i = 1; i < bits.length; i++) {
    u = (u * v) % n;
    v = mod(v * v - 2n * qk, n);
    qk = (qk * qk) % n;
    if (bits[i] === '1') {
      const u1 = half(mod(p * u + v, n), n);
      v = half(mod(d * u + p * v, n), n);
      u = u1;
      qk = mod(qk * q, n);
    }
  }
  if (u === 0n || v === 0n) return true;
  for (let r = 1; r < s; r++) {
    v = mod(v * v - 2n * qk, n);
    if (v === 0n) return true;
    qk = (qk * qk) % n;
  }
  return false;
}
