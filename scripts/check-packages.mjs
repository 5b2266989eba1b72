#!/usr/bin/env node
// Package hygiene for every publishable workspace package: build it with tsup, pack it the way
// `pnpm publish` would (publishConfig applied), then lint the tarball with publint (strict) and
// are-the-types-wrong (ESM-only profile). Exits non-zero if any package fails.
//
// Usage: node scripts/check-packages.mjs [package-dir ...]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);

const dirs = process.argv.length > 2
  ? process.argv.slice(2).map((d) => resolve(d))
  : readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d));

const failures = [];
for (const dir of dirs) {
  const manifestPath = join(dir, 'package.json');
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (manifest.private) continue;
  const name = manifest.name;
  const out = mkdtempSync(join(tmpdir(), 'netlab-pack-'));
  try {
    execFileSync('pnpm', ['run', '--silent', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    const tarball = readdirSync(out).find((f) => f.endsWith('.tgz'));
    if (tarball === undefined) throw new Error('pnpm pack produced no tarball');
    const tgz = join(out, tarball);
    execFileSync(bin('publint'), ['run', tgz, '--strict'], { cwd: dir, stdio: 'pipe' });
    execFileSync(bin('attw'), [tgz, '--profile', 'esm-only', '--format', 'ascii'], { cwd: dir, stdio: 'pipe' });
    console.log(`ok    ${name}: publint and are-the-types-wrong pass`);
  } catch (error) {
    const output = [error.stdout, error.stderr].filter(Boolean).map(String).join('\n');
    console.error(`FAIL  ${name}\n${output || error.message}`);
    failures.push(name);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
if (failures.length > 0) {
  console.error(`package checks failed: ${failures.join(', ')}`);
  process.exit(1);
}
console.log(`package checks: ${dirs.length} directories checked, all publishable packages pass`);
