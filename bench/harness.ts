/**
 * Tiny benchmark harness: run a function several times, keep the median, print aligned tables
 * with ratios against a baseline measured in the same run. No timing is asserted anywhere:
 * goals are printed next to the measured ratio for a person to read.
 */
import { appendFileSync } from 'node:fs';

export interface Sample {
  /** Median wall time of one run, in milliseconds. */
  readonly ms: number;
  /** Every timed run in the order it ran (slice order for interleaved runs), in milliseconds. */
  readonly times: readonly number[];
}

/** The median and range of per-slice values (ratios, rates), and how many slices there were. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly slices: number;
}

const medianOf = (sorted: readonly number[]): number => {
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export function spreadOf(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: medianOf(sorted), min: sorted[0] ?? Number.NaN, max: sorted[sorted.length - 1] ?? Number.NaN, slices: sorted.length };
}

/**
 * Per-slice ratios `numerator[i] / denominator[i]` of two series measured in the same slices
 * (A B A B …), so each ratio compares runs that saw the same machine; returns their spread.
 */
export function sliceRatios(numerator: readonly number[], denominator: readonly number[]): Spread {
  if (numerator.length !== denominator.length) throw new Error(`sliceRatios: ${numerator.length} vs ${denominator.length} slices`);
  return spreadOf(numerator.map((n, i) => n / (denominator[i] ?? Number.NaN)));
}

/** How many times faster `candidate` ran than `baseline`, slice by slice (times are durations). */
export const speedup = (candidate: Sample, baseline: Sample): Spread => sliceRatios(baseline.times, candidate.times);

export async function measure(run: () => unknown, repeats = 5): Promise<Sample> {
  await run(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { ms: sorted[Math.floor(sorted.length / 2)] ?? 0, times };
}

/**
 * Measures several variants in alternation (A B C A B C …) and returns each one's median, so a
 * machine whose speed drifts during the run (shared cores, CPU steal) colours every variant alike.
 */
export async function measureInterleaved<K extends string>(variants: Record<K, () => unknown>, repeats = 7): Promise<Record<K, Sample>> {
  const names = Object.keys(variants) as K[];
  const times = new Map<K, number[]>(names.map((name) => [name, []]));
  for (const name of names) await variants[name](); // warm-up
  for (let i = 0; i < repeats; i++) {
    for (const name of names) {
      const start = process.hrtime.bigint();
      await variants[name]();
      times.get(name)?.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  const out = {} as Record<K, Sample>;
  for (const name of names) {
    const series = times.get(name) ?? [];
    const sorted = [...series].sort((a, b) => a - b);
    out[name] = { ms: sorted[Math.floor(sorted.length / 2)] ?? 0, times: series };
  }
  return out;
}

export const perSecond = (count: number, ms: number): number => (count * 1000) / ms;

export function fmt(n: number, digits = 0): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(digits);
}

export function table(title: string, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`\n${title}`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
}

export function verdict(ratio: number, goal: number, higherIsBetter = true): string {
  const met = higherIsBetter ? ratio >= goal : ratio <= goal;
  return `${ratio.toFixed(2)}x (goal ${higherIsBetter ? '≥' : '≤'} ${goal}x: ${met ? 'met' : 'NOT met'})`;
}

/** `1.23x (1.10–1.31 over 7 slices; goal ≥ 2x: NOT met)`: a goal is met only by the median. */
export function verdictSpread(spread: Spread, goal: number, higherIsBetter = true): string {
  const met = higherIsBetter ? spread.median >= goal : spread.median <= goal;
  const range = `${spread.min.toFixed(2)}–${spread.max.toFixed(2)} over ${spread.slices} slices`;
  return `${spread.median.toFixed(2)}x (${range}; goal ${higherIsBetter ? '≥' : '≤'} ${goal}x: ${met ? 'met' : 'NOT met'})`;
}

/** One figure a benchmark reports, as `pnpm bench --json` writes it. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly min?: number;
  readonly max?: number;
  readonly slices?: number;
  readonly goal?: string;
}

const figures: Figure[] = [];
let flushInstalled = false;

/**
 * Records a figure for `pnpm bench --json` (bench/run.ts sets NETLAB_BENCH_JSON to an NDJSON file
 * for each benchmark process; without it nothing is written). A spread gives the median as the
 * value and its range.
 */
export function figure(name: string, value: number | Spread, unit: string, goal?: string): void {
  const entry: Figure = typeof value === 'number'
    ? { name, value, unit, ...(goal === undefined ? {} : { goal }) }
    : { name, value: value.median, unit, min: value.min, max: value.max, slices: value.slices, ...(goal === undefined ? {} : { goal }) };
  figures.push(entry);
  const file = process.env.NETLAB_BENCH_JSON;
  if (file === undefined || flushInstalled) return;
  flushInstalled = true;
  process.once('exit', () => {
    if (figures.length > 0) appendFileSync(file, figures.map((f) => JSON.stringify(f)).join('\n') + '\n');
  });
}

/**
 * Runs rate measurements (higher is better, e.g. round trips per second) in interleaved slices
 * (A B A B …, `slices` of each) and returns every variant's series in slice order.
 */
export async function interleavedRates<K extends string>(variants: Record<K, () => Promise<number>>, slices = 5): Promise<Record<K, number[]>> {
  const names = Object.keys(variants) as K[];
  const out = {} as Record<K, number[]>;
  for (const name of names) out[name] = [];
  for (let i = 0; i < slices; i++) {
    for (const name of names) out[name].push(await variants[name]());
  }
  return out;
}
