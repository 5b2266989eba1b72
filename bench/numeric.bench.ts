/**
 * Primality: netlab's isProbablePrime (Miller–Rabin, Baillie–PSW) against the labs' trial
 * division, on the same inputs, in the same run.
 *
 * Run: node --import tsx bench/numeric.bench.ts
 *
 * Bounded: trial division runs on Numbers below 2^53 (at most 10^8 divisions); the 18-digit
 * case needs BigInt (past 2^53) and 10^9 divisions, so it is timed on its first 10^6 divisions and
 * extrapolated, and the output says so.
 */
import { DEFAULT_MAX_DIGITS, isProbablePrime } from '../packages/service-numeric/src/index.js';

/** The labs' algorithm: try every divisor up to √n (exact for n < 2^53). */
function trialDivision(n: number): boolean {
  if (n < 2) return false;
  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;
  return true;
}

/** Trial division on BigInt, stopped after `maxDivisions`; returns the divisions made. */
function trialDivisionBigInt(n: bigint, maxDivisions: number): number {
  let count = 0;
  for (let i = 2n; i * i <= n && count < maxDivisions; i++, count++) if (n % i === 0n) return count;
  return count;
}

/** Mean milliseconds per call over enough calls to fill ~`budgetMs`. */
function time(fn: () => unknown, budgetMs = 200): number {
  fn();
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    fn();
    calls++;
    elapsed = performance.now() - start;
  } while (elapsed < budgetMs);
  return elapsed / calls;
}

const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 1 ? `${ms.toFixed(1)} ms` : `${(ms * 1000).toFixed(1)} µs`);
const row = (cells: readonly string[]): void => {
  console.log(cells.map((c, i) => (i === 0 ? c.padEnd(40) : c.padStart(16))).join(''));
};

console.log(`node ${process.version}, ${process.platform}/${process.arch}\n`);
row(['input (prime)', 'isProbablePrime', 'trial division', 'ratio']);
const cases: readonly (readonly [string, bigint])[] = [
  ['12 digits: 999999999989', 999_999_999_989n],
  ['14 digits: 99999999999973', 99_999_999_999_973n],
  ['16 digits: 9007199254740881 (2^53 − 111)', 9_007_199_254_740_881n],
];
for (const [label, n] of cases) {
  if (!isProbablePrime(n) || !trialDivision(Number(n))) throw new Error(`${label} should be prime`);
  const ours = time(() => isProbablePrime(n));
  const theirs = time(() => trialDivision(Number(n)), 1);
  row([label, fmt(ours), fmt(theirs), `${Math.round(theirs / ours).toLocaleString('en')}×`]);
}
{
  const n = 999_999_999_999_999_989n;
  const ours = time(() => isProbablePrime(n));
  const sample = 1_000_000;
  const start = performance.now();
  trialDivisionBigInt(n, sample);
  const perDivision = (performance.now() - start) / sample;
  const needed = Number(999_999_999n); // ⌊√n⌋ divisions for a prime
  const extrapolated = perDivision * needed;
  row(['18 digits: 999999999999999989', fmt(ours), `~${fmt(extrapolated)}*`, `~${Math.round(extrapolated / ours).toLocaleString('en')}×`]);
  console.log('  * BigInt trial division timed on its first 10^6 of 10^9 divisions and extrapolated, not run to the end');
}

console.log('\nisProbablePrime across 64-bit inputs:');
{
  const largest = 18_446_744_073_709_551_557n; // 2^64 − 59, the largest 64-bit prime
  console.log(`  2^64 − 59 (prime, all 12 bases)        ${fmt(time(() => isProbablePrime(largest)))}`);
  // A deterministic spread of odd 64-bit inputs: worst single call and mean.
  let x = 0x9e3779b97f4a7c15n;
  const inputs: bigint[] = [];
  for (let i = 0; i < 20_000; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffff_ffff_ffff_ffffn;
    inputs.push(x | 1n | (1n << 63n));
  }
  for (const n of inputs) isProbablePrime(n); // warm-up
  const single: number[] = [];
  const intrinsic: number[] = [];
  let primes = 0;
  for (const n of inputs) {
    let best = Infinity;
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now();
      if (isProbablePrime(n) && run === 0) primes++;
      const took = performance.now() - t0;
      if (run === 0) single.push(took);
      best = Math.min(best, took);
    }
    intrinsic.push(best);
  }
  single.sort((a, b) => a - b);
  const mean = single.reduce((a, b) => a + b, 0) / single.length;
  const p99 = single[Math.floor(single.length * 0.99)] ?? 0;
  const worstSingle = single.at(-1) ?? 0;
  const worst = Math.max(...intrinsic);
  console.log(`  20 000 odd 64-bit numbers (${primes} prime): mean ${fmt(mean)}, p99 ${fmt(p99)}, slowest single call ${fmt(worstSingle)} (includes GC and scheduler pauses)`);
  console.log(`  slowest input, best of 3 calls: ${fmt(worst)}; under 1 ms for every input: ${worst < 1 ? 'yes' : 'NO'}`);
}

console.log('\nBeyond 64 bits (Baillie–PSW), on the next prime above 10^(d−1):');
for (const digits of [30, 100, 300, DEFAULT_MAX_DIGITS]) {
  let n = 10n ** BigInt(digits - 1) + 1n;
  while (!isProbablePrime(n)) n += 2n;
  console.log(`  ${String(digits).padStart(4)} digits${digits === DEFAULT_MAX_DIGITS ? ' (the default cap)' : ''}: ${fmt(time(() => isProbablePrime(n), 300))}`);
}
