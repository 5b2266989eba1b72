#!/usr/bin/env node
// Package hygiene for every publishable workspace package (any packages/* or apps/* that is not
// `"private": true`, found anew on each run, so new packages are checked without a list to edit):
//
// 1. the manifest keeps the packaging scheme of docs/ARCHITECTURE.md ("Workspace mechanics"):
//    each `exports` entry is { "@netlab/source": ./src/….ts, types: ./dist/….d.ts, default:
//    ./dist/….js } in that order, `./package.json` is exported, `files` ships dist, and license,
//    homepage, repository and bugs match the root package.json (scripts/package-metadata.mjs);
// 2. it builds with tsup, and is packed twice, by `pnpm pack` and by `npm pack`: both tarballs'
//    package.json must point at dist/ files that are in the tarball;
// 3. publint (strict) and are-the-types-wrong (ESM-only profile; packages with no typed entry,
//    such as the CLI, skip it) lint the pnpm tarball, which is what `pnpm publish` would upload.
//
// Usage: node scripts/check-packages.mjs [--out DIR] [package-dir ...]   (exits non-zero if any fails)
//   --out DIR keeps the pnpm tarballs in DIR (emptied first), for scripts/install-test.mjs --tarballs DIR.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { metadataDifferences } from './package-metadata.mjs';
import { packageDirs, readManifest, root } from './workspace-packages.mjs';

const bin = (name) => join(root, 'node_modules', '.bin', name);
const SOURCE = '@netlab/source';

/** Problems with the manifest's exports and files, as sentences. */
export function schemeProblems(manifest) {
  const problems = [];
  const exportsField = manifest.exports ?? {};
  if (exportsField['./package.json'] !== './package.json') problems.push('exports has no "./package.json": "./package.json"');
  for (const [subpath, target] of Object.entries(exportsField)) {
    if (subpath === './package.json') continue;
    const keys = typeof target === 'object' && target !== null ? Object.keys(target) : [];
    if (keys.join(',') !== `${SOURCE},types,default`) {
      problems.push(`exports["${subpath}"] must be { "${SOURCE}", "types", "default" } in that order (found ${JSON.stringify(target)})`);
      continue;
    }
    if (!/^\.\/src\/.+\.ts$/.test(target[SOURCE])) problems.push(`exports["${subpath}"]["${SOURCE}"] must be a ./src/*.ts file`);
    if (!/^\.\/dist\/.+\.d\.ts$/.test(target.types)) problems.push(`exports["${subpath}"].types must be a ./dist/*.d.ts file`);
    if (!/^\.\/dist\/.+\.js$/.test(target.default)) problems.push(`exports["${subpath}"].default must be a ./dist/*.js file`);
  }
  if (!(manifest.files ?? []).includes('dist')) problems.push('files must include "dist"');
  if (manifest.publishConfig?.exports !== undefined) problems.push('publishConfig.exports must go: npm pack ignores it (exports itself points at dist/)');
  for (const target of Object.values(manifest.bin ?? {})) {
    if (!target.startsWith('./dist/')) problems.push(`bin ${target} must point into ./dist/`);
  }
  return problems;
}

/** Files listed in a tarball, without the leading `package/`. */
function tarballFiles(tgz) {
  return execFileSync('tar', ['-tzf', tgz], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
}

function tarballManifest(tgz) {
  return JSON.parse(execFileSync('tar', ['-xzOf', tgz, 'package/package.json'], { encoding: 'utf8' }));
}

/** Every dist/ target of exports and bin in `manifest` must be in `files`. */
function missingTargets(manifest, files) {
  const targets = [];
  for (const target of Object.values(manifest.exports ?? {})) {
    if (typeof target === 'object') targets.push(target.types, target.default);
  }
  targets.push(...Object.values(manifest.bin ?? {}));
  return targets.filter((t) => !files.includes(t.replace(/^\.\//, '')));
}

function pack(tool, dir, out) {
  const args = tool === 'npm' ? ['pack', '--silent', '--pack-destination', out] : ['pack', '--pack-destination', out];
  execFileSync(tool, args, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = readdirSync(out).find((f) => f.endsWith('.tgz'));
  if (tarball === undefined) throw new Error(`${tool} pack produced no tarball`);
  return join(out, tarball);
}

function check(dir, keepIn) {
  const manifest = readManifest(dir);
  const problems = [...schemeProblems(manifest), ...metadataDifferences(dir, manifest).map((f) => `${f} differs from the root package.json (node scripts/package-metadata.mjs --write)`)];
  if (problems.length > 0) throw new Error(problems.map((p) => `  - ${p}`).join('\n'));
  execFileSync('pnpm', ['run', '--silent', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
  const outs = [];
  try {
    let pnpmTarball;
    for (const tool of ['pnpm', 'npm']) {
      const out = mkdtempSync(join(tmpdir(), `netlab-${tool}-pack-`));
      outs.push(out);
      const tgz = pack(tool, dir, out);
      const missing = missingTargets(tarballManifest(tgz), tarballFiles(tgz));
      if (missing.length > 0) throw new Error(`the ${tool} pack tarball points at files it does not contain: ${missing.join(', ')}`);
      if (tool === 'pnpm') pnpmTarball = tgz;
      if (tool === 'pnpm' && keepIn !== undefined) copyFileSync(tgz, join(keepIn, basename(tgz)));
    }
    execFileSync(bin('publint'), ['run', pnpmTarball, '--strict'], { cwd: dir, stdio: 'pipe' });
    const typed = Object.values(manifest.exports ?? {}).some((t) => typeof t === 'object');
    if (typed) execFileSync(bin('attw'), [pnpmTarball, '--profile', 'esm-only', '--format', 'ascii'], { cwd: dir, stdio: 'pipe' });
    return typed ? 'publint and are-the-types-wrong pass' : 'publint passes (no typed entry point)';
  } finally {
    for (const out of outs) rmSync(out, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const keepIn = outAt >= 0 ? resolve(args[outAt + 1] ?? '') : undefined;
  if (outAt >= 0) args.splice(outAt, 2);
  if (keepIn !== undefined) {
    rmSync(keepIn, { recursive: true, force: true });
    mkdirSync(keepIn, { recursive: true });
  }
  const dirs = args.length > 0 ? args.map((d) => resolve(d)) : packageDirs();
  const failures = [];
  let checked = 0;
  for (const dir of dirs) {
    const manifest = readManifest(dir);
    if (manifest.private === true) continue;
    checked++;
    try {
      console.log(`ok    ${manifest.name}: scheme, metadata, pnpm and npm tarballs, ${check(dir, keepIn)}`);
    } catch (error) {
      const output = [error.stdout, error.stderr].filter(Boolean).map(String).join('\n');
      console.error(`FAIL  ${manifest.name}\n${output || error.message}`);
      failures.push(manifest.name);
    }
  }
  if (failures.length > 0) {
    console.error(`package checks failed: ${failures.join(', ')}`);
    process.exit(1);
  }
  console.log(`package checks: ${checked} publishable packages of ${dirs.length} directories, all pass`);
}
