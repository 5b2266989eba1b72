/**
 * `--store`: where the bank keeps its ledger and its request log.
 *
 * - `sqlite:PATH` (the default, `sqlite:<data dir>/netlab/atm.db`): durable, group-committed;
 * - `memory`: gone when the server stops (demos, tests);
 * - `postgres://USER@HOST:PORT/DB?schema=NAME`: durable, shareable by replicas; `schema`
 *   (default `public`) is taken out of the URL and used for every table.
 *
 * The data dir is `$XDG_DATA_HOME` or `~/.local/share` on Linux, `~/Library/Application Support`
 * on macOS and `%LOCALAPPDATA%` on Windows.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CliError } from '@netlab/cli-kit';
import type { AtmLedger, LedgerLimits } from '@netlab/service-atm';

export type StoreSpec =
  | { readonly kind: 'memory' }
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string; readonly schema: string };

/** The platform's per-user data directory. */
export function dataDir(): string {
  if (process.platform === 'win32') return process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support');
  const xdg = process.env.XDG_DATA_HOME;
  return xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'share');
}

/** The default store: `sqlite:<data dir>/netlab/atm.db`. */
export function defaultStoreSpec(): string {
  return `sqlite:${join(dataDir(), 'netlab', 'atm.db')}`;
}

/** Parses `--store`. */
export function parseStoreSpec(value: string): StoreSpec {
  if (value === 'memory') return { kind: 'memory' };
  if (value.startsWith('sqlite:')) {
    const path = value.slice('sqlite:'.length);
    if (path === '') throw new CliError('ERR_USAGE', 'invalid --store "sqlite:": give a file, e.g. sqlite:./atm.db');
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (/^postgres(ql)?:\/\//.test(value)) {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new CliError('ERR_USAGE', 'invalid --store: not a valid postgres:// URL');
    }
    const schema = url.searchParams.get('schema') ?? 'public';
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new CliError('ERR_USAGE', `invalid schema "${schema}": lowercase letters, digits and _`);
    url.searchParams.delete('schema');
    return { kind: 'postgres', url: url.toString(), schema };
  }
  throw new CliError('ERR_USAGE', `invalid --store "${value}": expected sqlite:PATH, memory or postgres://…`);
}

/** Describes a store for logs, without a password. */
export function describeStore(spec: StoreSpec): string {
  switch (spec.kind) {
    case 'memory':
      return 'memory (not durable)';
    case 'sqlite':
      return `sqlite:${spec.path}`;
    case 'postgres': {
      const url = new URL(spec.url);
      if (url.password !== '') url.password = '***';
      return `${url.toString()} (schema ${spec.schema})`;
    }
  }
}

export interface OpenLedgerOptions {
  readonly limits?: Partial<LedgerLimits>;
  /** One transaction per request (benchmark baseline). Default false. */
  readonly noGroupCommit?: boolean;
  readonly pinHashCost?: number;
}

/** Opens the ledger a spec names; the SQLite file's directory is created if needed. */
export async function openLedger(spec: StoreSpec, options: OpenLedgerOptions = {}): Promise<AtmLedger<unknown>> {
  const common = {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.pinHashCost === undefined ? {} : { pinHashCost: options.pinHashCost }),
  };
  switch (spec.kind) {
    case 'memory': {
      const { createMemoryAtmLedger } = await import('@netlab/service-atm');
      return (await createMemoryAtmLedger(common));
    }
    case 'sqlite': {
      if (spec.path !== ':memory:') mkdirSync(dirname(spec.path), { recursive: true });
      const { createSqliteAtmLedger } = await import('@netlab/service-atm/sqlite');
      return (await createSqliteAtmLedger({ database: spec.path, ...common, ...(options.noGroupCommit === true ? { groupCommit: false } : {}) }));
    }
    case 'postgres': {
      const { createPostgresAtmLedger } = await import('@netlab/service-atm/postgres');
      const ledger = await createPostgresAtmLedger({ pool: spec.url, schema: spec.schema, ...common });
      // An idle client losing its server (a restart) must not crash the process.
      ledger.pool.on('error', () => undefined);
      return ledger;
    }
  }
}
