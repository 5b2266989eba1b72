/**
 * Startup of the `netlab` command: wall time from exec to the `listening on` line of
 * `netlab echo server --port 0`, against a bare `node -e` TCP server that prints the same line
 * (the floor: starting node itself and binding a socket). Goal: the built CLI within 1.5× of
 * the bare server. The in-clone launcher (`./netlab`, source through tsx) is shown for
 * information; its cost is tsx compiling the sources.
 *
 * Variants run interleaved (bare, built, built, …) in rounds; each round gives one ratio per
 * variant against that round's bare run, and the median and range of those ratios are printed.
 * Every process is stopped with SIGTERM after its line (not timed).
 *
 * Run: pnpm bench startup   (builds apps/cli first; about 30 s)
 */
import { execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { table, verdict } from './harness.js';

const ROOT = join(import.meta.dirname, '..');
const BUNDLE = join(ROOT, 'apps/cli/dist/netlab.js');
const LAUNCHER = join(ROOT, 'netlab');
const ROUNDS = Number(process.env.NETLAB_BENCH_ROUNDS ?? 15);

const BARE = `
const server = require('node:net').createServer((s) => s.end());
process.on('SIGTERM', () => server.close(() => process.exit(0)));
server.listen(0, '127.0.0.1', () => console.log('echo listening on tcp://127.0.0.1:' + server.address().port));
`;

interface Variant {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

const variants: readonly Variant[] = [
  { name: 'bare node -e server', command: process.execPath, args: ['-e', BARE] },
  { name: 'netlab (built bundle)', command: process.execPath, args: [BUNDLE, 'echo', 'server', '--port', '0'] },
  { name: './netlab (source, tsx)', command: LAUNCHER, args: ['echo', 'server', '--port', '0'] },
];

/** Milliseconds from spawn to the `listening on` line; then SIGTERM and wait for the exit. */
function timeToListening(variant: Variant): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    // NODE_OPTIONS from `pnpm bench` would add the source condition to the bare and built runs.
    const env = { ...process.env, NODE_OPTIONS: '' };
    const child = spawn(variant.command, [...variant.args], { stdio: ['ignore', 'pipe', 'ignore'], env });
    let out = '';
    let elapsed: number | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${variant.name}: no listening line within 20 s`));
    }, 20_000);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      if (elapsed === undefined && out.includes('listening on')) {
        elapsed = Number(process.hrtime.bigint() - started) / 1e6;
        child.kill('SIGTERM');
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (elapsed === undefined) reject(new Error(`${variant.name}: exited (${String(code)}) before its listening line`));
      else resolve(elapsed);
    });
  });
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

console.log('building apps/cli (tsup) …');
execFileSync('pnpm', ['--filter', '@netlab/cli', 'run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });

for (const variant of variants) await timeToListening(variant); // warm the file cache
const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
const ratios = new Map<string, number[]>(variants.map((v) => [v.name, []]));
for (let round = 0; round < ROUNDS; round++) {
  let bare = Number.NaN;
  for (const variant of variants) {
    const ms = await timeToListening(variant);
    if (variant === variants[0]) bare = ms;
    times.get(variant.name)?.push(ms);
    ratios.get(variant.name)?.push(ms / bare);
  }
}

table(
  `startup: exec → "listening on" line, ${ROUNDS} interleaved rounds (Node ${process.version}, ${availableParallelism()} cores)`,
  ['variant', 'median ms', 'min–max ms', 'ratio to bare: median (range)'],
  variants.map((variant) => {
    const t = times.get(variant.name) ?? [];
    const r = ratios.get(variant.name) ?? [];
    return [
      variant.name,
      median(t).toFixed(1),
      `${Math.min(...t).toFixed(1)}–${Math.max(...t).toFixed(1)}`,
      `${median(r).toFixed(2)}x (${Math.min(...r).toFixed(2)}–${Math.max(...r).toFixed(2)})`,
    ];
  }),
);
console.log(`\nbuilt netlab vs bare node server: ${verdict(median(ratios.get(variants[1]?.name ?? '') ?? []), 1.5, false)}`);
