/**
 * `pnpm bench`: runs every bench/*.bench.ts (or those named on the command line) one after the
 * other, each in its own process so that one benchmark's heap and JIT state cannot colour the
 * next. Not part of `pnpm test`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = import.meta.dirname;
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
  .sort();
// Workspace packages resolve to their sources under the `@netlab/source` condition; through
// NODE_OPTIONS every process a benchmark spawns (`node --import tsx …`) gets it too.
const NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --conditions=@netlab/source`.trim();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file} ===`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', join(dir, file)], { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS } });
  if (result.status !== 0) {
    failed++;
    console.log(`${file} failed (exit ${String(result.status)})`);
  }
}
console.log(`\n${files.length - failed} of ${files.length} benchmarks ran`);
process.exitCode = failed === 0 ? 0 : 1;
