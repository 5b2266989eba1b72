/**
 * The seeded PRNG of netlab (xoshiro128**, seeded through splitmix32), so every fault decision,
 * every jitter and every simulated run can be replayed from one integer. Not for cryptography.
 *
 * `fork(label)` derives an independent generator from this one's seed and a label, stable across
 * runs: each component of a simulation (network, clients, crashes) draws from its own fork, so
 * adding draws to one never shifts the decisions of another.
 */
import { GroundError } from './errors.js';

export interface Prng {
  /** The seed this generator started from. */
  readonly seed: number;
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [0, maxExclusive); `ERR_INVALID_ARGUMENT` unless maxExclusive is a positive integer. */
  int(maxExclusive: number): number;
  /** True with probability `p` (0 ≤ p ≤ 1). */
  chance(p: number): boolean;
  /** An independent generator derived from this one's seed and `label` (stable across runs). */
  fork(label: string): Prng;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function hashLabel(seed: number, label: string): number {
  // FNV-1a over the label, mixed with the seed.
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Creates a generator from an integer seed (any safe integer; it is folded to 32 bits). */
export function createPrng(seed: number): Prng {
  if (!Number.isSafeInteger(seed)) {
    throw new GroundError('ERR_INVALID_ARGUMENT', `seed must be a safe integer, got ${String(seed)}`, { details: { seed } });
  }
  const folded = (seed ^ Math.floor(seed / 0x1_0000_0000)) >>> 0;
  const init = splitmix32(folded);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const nextU32 = (): number => {
    const result = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = ((d << 11) | (d >>> 21)) >>> 0;
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    return result;
  };
  const prng: Prng = {
    seed,
    next: () => nextU32() / 0x1_0000_0000,
    int(maxExclusive) {
      if (!Number.isInteger(maxExclusive) || maxExclusive <= 0) {
        throw new GroundError('ERR_INVALID_ARGUMENT', `maxExclusive must be a positive integer, got ${String(maxExclusive)}`, {
          details: { maxExclusive },
        });
      }
      return Math.floor(prng.next() * maxExclusive);
    },
    chance: (p) => p > 0 && (p >= 1 || prng.next() < p),
    fork: (label) => createPrng(hashLabel(folded, label)),
  };
  return prng;
}
