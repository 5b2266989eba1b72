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
 *
 * Opening refuses what would make the bank lie or vanish, each with one line: a SQLite path whose
 * directory does not exist (only the default store's directory is created, so a mistyped path
 * never becomes a new, empty bank); an existing SQLite file that is empty, damaged or not a bank
 * (`ERR_STORE_INVALID`); a store whose bank key is missing or another (`ERR_WRONG_BANK_KEY`); a
 * PostgreSQL that cannot be reached (the line says "PostgreSQL"). See `bank-key-file.ts` for the key.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CliError } from '@netlab/cli-kit';
import { type AtmLedger, type LedgerLimits, isAtmError } from '@netlab/service-atm';
import { type BankKeySource, defaultBankKeyFile, describeBankKey, discardCreatedKey, loadBankKey } from './bank-key-file.js';

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
  /** SQLite: fsync each batch inside COMMIT on the event loop, the old writer (benchmark baseline). Default false. */
  readonly inlineSync?: boolean;
  readonly pinHashCost?: number;
  /** `--bank-key FILE`. Default: the store's default key file (see `bank-key-file.ts`). */
  readonly bankKeyFile?: string;
  /** `$NETLAB_ATM_BANK_KEY`. Default: `process.env.NETLAB_ATM_BANK_KEY`. */
  readonly bankKeyEnv?: string | undefined;
  /** Create the SQLite file's directory if missing (the default store only). Default false. */
  readonly createDirectory?: boolean;
  /** Called once if the SQLite file turns out to be damaged while serving. */
  readonly onFatalError?: (error: Error) => void;
}

/** An open ledger and where its bank key came from. */
export interface OpenedLedger {
  readonly ledger: AtmLedger<unknown>;
  readonly key: BankKeySource;
  /** For the server's log: the store and its key, never the key itself. */
  readonly description: string;
}

function postgresWhere(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port === '' ? '5432' : parsed.port}${parsed.pathname}`;
}

/** Opens the ledger a spec names (see the module comment). */
export async function openLedger(spec: StoreSpec, options: OpenLedgerOptions = {}): Promise<OpenedLedger> {
  if (spec.kind === 'sqlite' && spec.path !== ':memory:') {
    const dir = dirname(spec.path);
    if (options.createDirectory === true) mkdirSync(dir, { recursive: true });
    else if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new CliError('ERR_USAGE', `invalid --store sqlite:${spec.path}: the directory ${dir} does not exist (create it first; only the default store's directory is created)`);
    }
  }
  const keyFile = options.bankKeyFile ?? defaultBankKeyFile(spec, dataDir());
  if (spec.kind === 'postgres' && options.bankKeyFile === undefined && keyFile !== undefined) mkdirSync(dirname(keyFile), { recursive: true });
  const key = loadBankKey(keyFile, 'bankKeyEnv' in options ? options.bankKeyEnv : process.env.NETLAB_ATM_BANK_KEY);
  const common = {
    bankKey: key.secret,
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.pinHashCost === undefined ? {} : { pinHashCost: options.pinHashCost }),
  };
  let ledger: AtmLedger<unknown>;
  try {
    switch (spec.kind) {
      case 'memory': {
        const { createMemoryAtmLedger } = await import('@netlab/service-atm');
        ledger = await createMemoryAtmLedger(common);
        break;
      }
      case 'sqlite': {
        const { createSqliteAtmLedger } = await import('@netlab/service-atm/sqlite');
        ledger = await createSqliteAtmLedger({
          database: spec.path,
          ...common,
          ...(options.noGroupCommit === true ? { groupCommit: false } : {}),
          ...(options.inlineSync === true ? { syncInBackground: false } : {}),
          ...(options.onFatalError === undefined ? {} : { onFatalError: options.onFatalError }),
        });
        break;
      }
      case 'postgres': {
        const { createPostgresAtmLedger } = await import('@netlab/service-atm/postgres');
        try {
          const pg = await createPostgresAtmLedger({ pool: spec.url, schema: spec.schema, ...common });
          // An idle client losing its server (a restart) must not crash the process.
          pg.pool.on('error', () => undefined);
          ledger = pg;
        } catch (error) {
          if (isAtmError(error)) throw error;
          const detail = error instanceof Error ? error.message : String(error);
          const code = (error as { code?: unknown }).code;
          throw new CliError('ERR_CONNECT', `cannot use the PostgreSQL store at ${postgresWhere(spec.url)} (schema ${spec.schema}): ${detail}${typeof code === 'string' && !detail.includes(code) ? ` (${code})` : ''}`, { cause: error });
        }
        break;
      }
    }
  } catch (error) {
    discardCreatedKey(key);
    if (isAtmError(error, 'ERR_WRONG_BANK_KEY')) {
      const where = typeof key.origin === 'object' ? `the key in ${key.origin.file}${key.created ? ' (just created: the store\'s own key file is missing)' : ''}` : key.origin === 'env' ? 'the key in $NETLAB_ATM_BANK_KEY' : 'a random key';
      throw new CliError('ERR_USAGE', `${describeStore(spec)} was made with another bank key than ${where}: give its key with --bank-key FILE or NETLAB_ATM_BANK_KEY`, { cause: error });
    }
    throw error;
  }
  return { ledger, key, description: `${describeStore(spec)}, bank key ${describeBankKey(key)}` };
}
