#!/usr/bin/env node
// The install test: netlab as a user outside this repository gets it. It
//
// 1. builds and packs (with `pnpm pack`, which turns `workspace:` ranges into versions) every
//    publishable package and the CLI, found anew on each run (scripts/workspace-packages.mjs);
// 2. creates a fresh npm project in the system temp directory, outside the workspace, and
//    installs all the tarballs there with npm (plus typescript, @types/node, the SQLite addon and
//    its types, and vitest for examples that are test suites), from the npm registry only;
// 3. takes each package README's first ```ts block, typechecks them all with plain `strict`
//    (no exactOptionalPropertyTypes, no custom conditions, skipLibCheck off, so our .d.ts files
//    are checked the way a consumer's compiler sees them), then runs each one: it must exit by
//    itself with status 0 (vitest runs the blocks that register tests);
// 4. runs the installed `netlab` bin: --version, an echo server and client, SIGTERM → exit 0
//    with the port free, a closed stdout pipe → exit 0, and a short tour.
//
// Usage: node scripts/install-test.mjs [--tarballs DIR] [--keep]
//   --tarballs DIR installs the tarballs `check-packages.mjs --out DIR` left there (one per
//   publishable package, checked) instead of building and packing again; --keep leaves the temp
//   project for a look.
// Prints one line per check and a closing `install test: N passed, N failed`.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishableDirs, readManifest } from './workspace-packages.mjs';

const keep = process.argv.includes('--keep');
const tarballsAt = process.argv.indexOf('--tarballs');
const prebuilt = tarballsAt >= 0 ? process.argv[tarballsAt + 1] : undefined;
const EXAMPLE_TIMEOUT_MS = 60_000;
/** Exact tool versions for the consumer project, matching what the workspace uses. */
const CONSUMER_DEV_DEPENDENCIES = ['typescript@~5.9.3', '@types/node@^20.19.0', '@types/better-sqlite3@^7.6.13', '@types/pg@^8.15.0', 'vitest@^4.1.0'];

const started = Date.now();
let passed = 0;
let failed = 0;
const failures = [];
function record(ok, what, detail = '') {
  if (ok) passed++;
  else {
    failed++;
    failures.push(what);
  }
  const at = `${((Date.now() - started) / 1000).toFixed(0)}s`.padStart(5);
  console.log(`${ok ? 'ok  ' : 'FAIL'}  ${at}  ${what}${detail === '' ? '' : `\n${detail.replace(/^/gm, '             ')}`}`);
}

function run(command, args, options = {}) {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** Runs a process to its end, bounded; resolves { code, stdout, stderr }. */
function runBounded(command, args, { cwd, input, timeoutMs = EXAMPLE_TIMEOUT_MS, env = process.env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t) => (stderr += t));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      stderr += `\n(killed: did not exit within ${timeoutMs} ms)`;
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === null ? -1 : `signal ${signal}`), stdout, stderr });
    });
  });
}

/** The first ```ts block of a README, or undefined. */
export function firstTsBlock(markdown) {
  const match = /^```ts\n([\s\S]*?)^```$/m.exec(markdown);
  return match?.[1];
}

/** True when a README example registers tests (runs under vitest, not node). */
export function isTestSuite(source) {
  return /from '(?:vitest|@netlab\/[^']+\/compliance)'/.test(source);
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

const project = mkdtempSync(join(tmpdir(), 'netlab-install-'));
const tarballs = join(project, 'tarballs');
mkdirSync(tarballs);
try {
  // 1. build and pack
  const packages = publishableDirs().map((dir) => ({ dir, manifest: readManifest(dir) }));
  if (prebuilt !== undefined) {
    for (const f of readdirSync(prebuilt).filter((name) => name.endsWith('.tgz'))) copyFileSync(join(prebuilt, f), join(tarballs, f));
  } else {
    for (const { dir } of packages) {
      run('pnpm', ['run', '--silent', 'build'], { cwd: dir });
      run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir });
    }
  }
  const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz')).map((f) => join(tarballs, f));
  record(files.length === packages.length, `${prebuilt === undefined ? 'built and packed' : `took from ${prebuilt}`} ${files.length} tarballs (${packages.map((p) => p.manifest.name).join(', ')})`);

  // 2. a fresh npm project outside the workspace
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'netlab-install-test', private: true, type: 'module' }, null, 2)}\n`);
  const npmEnv = { ...process.env, NODE_OPTIONS: '', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
  run('npm', ['install', '--no-package-lock', '--prefer-offline', '--loglevel=error', ...files, ...CONSUMER_DEV_DEPENDENCIES], { cwd: project, env: npmEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  record(existsSync(join(project, 'node_modules', '.bin', 'netlab')), `npm installed every tarball into ${project} (outside the workspace)`);
  const sqliteBuilt = await runBounded(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: project, env: npmEnv });
  record(sqliteBuilt.code === 0, 'better-sqlite3 (optional dependency of @netlab/cli) built and loads', sqliteBuilt.stderr.trim());

  // 3. every README's first example: typecheck under plain strict, then run
  const examples = join(project, 'examples');
  mkdirSync(examples);
  const written = [];
  for (const { dir, manifest } of packages) {
    const readme = join(dir, 'README.md');
    const block = existsSync(readme) ? firstTsBlock(readFileSync(readme, 'utf8')) : undefined;
    if (block === undefined) {
      if (Object.keys(manifest.exports ?? {}).some((key) => key !== './package.json')) record(false, `${manifest.name}: README has no \`\`\`ts example`);
      continue;
    }
    const base = manifest.name.replace(/^@netlab\//, '');
    const file = `${base}${isTestSuite(block) ? '.test' : ''}.ts`;
    writeFileSync(join(examples, file), block);
    written.push({ name: manifest.name, file });
  }
  writeFileSync(
    join(project, 'tsconfig.json'),
    `${JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'], outDir: 'out', rootDir: 'examples', skipLibCheck: false }, include: ['examples'] }, null, 2)}\n`,
  );
  const tsc = await runBounded(process.execPath, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: project, env: npmEnv, timeoutMs: 180_000 });
  record(tsc.code === 0, `README examples of ${written.length} packages typecheck under plain "strict": true`, tsc.stdout.trim());
  for (const { name, file } of written) {
    const result = file.endsWith('.test.ts')
      ? await runBounded(process.execPath, [join(project, 'node_modules', 'vitest', 'vitest.mjs'), 'run', join('examples', file)], { cwd: project, env: { ...npmEnv, CI: '1' } })
      : await runBounded(process.execPath, [join('out', file.replace(/\.ts$/, '.js'))], { cwd: project, env: npmEnv });
    record(result.code === 0, `${name}: README example runs and exits by itself${file.endsWith('.test.ts') ? ' (under vitest)' : ''}`, result.code === 0 ? '' : `exit ${result.code}\n${result.stderr.trim().split('\n').slice(-8).join('\n')}`);
  }

  // 4. the installed netlab
  const netlab = join(project, 'node_modules', '.bin', 'netlab');
  const cliVersion = packages.find((p) => p.manifest.name === '@netlab/cli')?.manifest.version;
  const version = await runBounded(netlab, ['--version'], { cwd: project, env: npmEnv });
  record(version.code === 0 && version.stdout.startsWith(`netlab ${cliVersion} (Node.js `), 'netlab --version', version.stdout.trim());
  const subVersion = await runBounded(netlab, ['echo', 'server', '-V'], { cwd: project, env: npmEnv });
  record(subVersion.code === 0 && subVersion.stdout === version.stdout, 'netlab echo server -V');

  const server = spawn(netlab, ['echo', 'server', '--port', '0'], { cwd: project, env: npmEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(() => resolve(undefined), 20_000);
    server.stdout.setEncoding('utf8').on('data', (t) => {
      out += t;
      const match = /^echo listening on tcp:\/\/127\.0\.0\.1:(\d+)$/m.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    server.on('exit', () => resolve(undefined));
  });
  record(port !== undefined, `netlab echo server prints its listening line (port ${port})`);
  if (port !== undefined) {
    const client = await runBounded(netlab, ['echo', 'client', '--port', String(port)], { cwd: project, env: npmEnv, input: 'hello\nbye\n' });
    record(client.code === 0 && client.stdout === 'hello\nGoodbye\n', 'netlab echo client talks to it (hello, Goodbye, exit 0)', `${JSON.stringify(client.stdout)} ${client.stderr}`);
    const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve(code ?? signal)));
    server.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000))]);
    const free = await portIsFree(port);
    record(code === 0 && free, `SIGTERM stops the server: exit ${code}, port ${free ? 'free' : 'still taken'}`);
  }
  server.kill('SIGKILL');

  const piped = await new Promise((resolve) => {
    const child = spawn(netlab, ['udp-datetime', 'client', '--help'], { cwd: project, env: npmEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t) => (stderr += t));
    child.stdout.once('data', () => child.stdout.destroy());
    child.on('exit', (code) => resolve({ code, stderr }));
  });
  record(piped.code === 0 && piped.stderr === '', 'a closed stdout pipe exits quietly with 0 (netlab … | head -1)', piped.stderr);

  const tour = await runBounded(netlab, ['demo', '--only', 'codec,echo,udp-datetime,atm,check,trace'], { cwd: project, env: { ...npmEnv, NO_COLOR: '1' }, timeoutMs: 240_000 });
  record(tour.code === 0 && tour.stdout.includes('tour complete: 6 parts ran'), 'netlab demo --only codec,echo,udp-datetime,atm,check,trace (real servers, the fault proxy, a chaos run, netlab check grading a buggy server and a traced run written as pcapng, from the bundle)', tour.code === 0 ? '' : `${tour.stdout.split('\n').slice(-15).join('\n')}\n${tour.stderr}`);
} catch (error) {
  record(false, 'install test aborted', `${error.message}\n${[error.stdout, error.stderr].filter(Boolean).join('\n')}`);
} finally {
  if (keep) console.log(`kept ${project}`);
  else rmSync(project, { recursive: true, force: true });
}
console.log(`\ninstall test took ${((Date.now() - started) / 1000).toFixed(0)} s${failures.length > 0 ? `; failed: ${failures.join('; ')}` : ''}`);
console.log(`install test: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
