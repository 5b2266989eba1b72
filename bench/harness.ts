/**
 * Tiny benchmark harness: run a function several times, keep the median, print aligned tables
 * with ratios against a baseline measured in the same run. No timing is asserted anywhere:
 * goals are printed next to the measured ratio for a person to read.
 */
export interface Sample {
  /** Median wall time of one run, in milliseconds. */
  readonly ms: number;
}

export async function measure(run: () => unknown, repeats = 5): Promise<Sample> {
  await run(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] ?? 0 };
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
    const sorted = (times.get(name) ?? []).sort((a, b) => a - b);
    out[name] = { ms: sorted[Math.floor(sorted.length / 2)] ?? 0 };
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
