/**
 * `pnpm bench [--json [FILE]] [NAME…]`: runs every bench/*.bench.ts (or those whose file name
 * contains a NAME) one after the other, each in its own process so that one benchmark's heap and
 * JIT state cannot colour the next. Not part of `pnpm test`.
 *
 * `--json` also writes every figure the benchmarks record (harness `figure()`) to FILE (default
 * `.tmp/bench/<ISO time>.json`): `{ version: 1, date, node, cpus, loadavg, benchmarks: { <file>:
 * { status, figures: [{ name, value, unit, min?, max?, slices?, goal? }] } } }`, so runs can be
 * compared.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const dir = import.meta.dirname;
const args = process.argv.slice(2);
let jsonFile: string | undefined;
const wanted: string[] = [];
for (let i = 0; i < args.length; i++) {
  const arg = args[i] ?? '';
  if (arg === '--json') {
    const next = args[i + 1];
    if (next?.endsWith('.json') === true) {
      jsonFile = resolve(next);
      i++;
    } else {
      jsonFile = resolve(dir, '..', '.tmp', 'bench', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    }
  } else if (arg.startsWith('--json=')) {
    jsonFile = resolve(arg.slice('--json='.length));
  } else if (arg === '--help' || arg === '-h') {
    console.log('usage: pnpm bench [--json [FILE.json]] [NAME…]   (NAME: part of a bench file name, e.g. codec)');
    process.exit(0);
  } else if (arg.startsWith('-')) {
    console.error(`pnpm bench: unknown option ${arg} (try --help)`);
    process.exit(2);
  } else {
    wanted.push(arg);
  }
}
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
if (files.length === 0) {
  console.error(`pnpm bench: no benchmark matches ${wanted.join(', ')}`);
  process.exit(2);
}
// Workspace packages resolve to their sources under the `@netlab/source` condition; through
// NODE_OPTIONS every process a benchmark spawns (`node --import tsx …`) gets it too.
const NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --conditions=@netlab/source`.trim();
const results: Record<string, { status: number | null; figures: unknown[] }> = {};
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const ndjson = join(tmpdir(), `netlab-bench-${process.pid}-${file}.ndjson`);
  rmSync(ndjson, { force: true });
  const env = { ...process.env, NODE_OPTIONS, ...(jsonFile === undefined ? {} : { NETLAB_BENCH_JSON: ndjson }) };
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(dir, file)], { stdio: 'inherit', env });
  if (result.status !== 0) {
    failed++;
    console.log(`${file} failed (exit ${String(result.status)})`);
  }
  if (jsonFile !== undefined) {
    let figures: unknown[] = [];
    try {
      figures = readFileSync(ndjson, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown);
    } catch {
      // The benchmark recorded no figures (or failed before recording any).
    }
    rmSync(ndjson, { force: true });
    results[file] = { status: result.status, figures };
  }
}
console.log(`\n${files.length - failed} of ${files.length} benchmarks ran`);
if (jsonFile !== undefined) {
  mkdirSync(dirname(jsonFile), { recursive: true });
  const doc = { version: 1, date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavg: loadavg(), benchmarks: results };
  writeFileSync(jsonFile, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`figures written to ${jsonFile}`);
}
process.exitCode = failed === 0 ? 0 : 1;
