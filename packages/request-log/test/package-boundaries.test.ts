import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? files(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map((match) => match[1] ?? '');
}

describe('package boundaries', () => {
  it('keeps better-sqlite3 and pg out of everything but their subpath entries', () => {
    const offenders = files(src)
      .filter((file) => !/[/\\](sqlite|postgres)[/\\]/.test(file))
      .filter((file) => imports(file).some((name) => name === 'better-sqlite3' || name === 'pg'))
      .map((file) => relative(src, file));
    expect(offenders).toEqual([]);
  });

  it('keeps the transports out of everything but the link subpath entry', () => {
    const offenders = files(src)
      .filter((file) => !/[/\\]link[/\\]/.test(file))
      .filter((file) => imports(file).some((name) => name.startsWith('@netlab/transport-') || name === 'node:net' || name === 'node:dgram'))
      .map((file) => relative(src, file));
    expect(offenders).toEqual([]);
  });

  it('keeps the sans-I/O core free of sockets, timers and stores', () => {
    // @netlab/ground is the zero-dependency ground floor: the core takes its backoff formula (and
    // could take its PRNG), never a clock; the timer check below still covers every core file.
    const allowed = new Set(['valibot', 'node:crypto', '@netlab/ground']);
    const offenders = files(join(src, 'core')).flatMap((file) =>
      imports(file)
        .filter((name) => !name.startsWith('.') && !allowed.has(name))
        .map((name) => `${relative(src, file)} imports ${name}`),
    );
    expect(offenders).toEqual([]);
    const timers = files(join(src, 'core')).filter((file) => /\bset(Timeout|Immediate|Interval)\(|Date\.now\(/.test(readFileSync(file, 'utf8')));
    expect(timers).toEqual([]);
  });

  it('never imports through index.ts inside src', () => {
    const offenders = files(src).filter((file) => imports(file).some((name) => name.endsWith("index.js")) && !file.endsWith('index.ts'));
    expect(offenders).toEqual([]);
  });
});
