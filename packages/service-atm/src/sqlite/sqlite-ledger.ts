/**
 * The SQLite ledger: the bank's tables live in the same database file as the request log's
 * records, and each operation runs inside the request log's transaction (group commit: many
 * operations per fsync, each in its own savepoint). Effects are synchronous, so two ATMs
 * withdrawing from one account are serialized by the single writer; `CHECK (balance >= 0)` is
 * the backstop that would abort (and roll back) any change driving an account negative.
 *
 * Tables (prefix `atm` by default):
 * - `atm_meta(key PK, value)`: `initial_total`, written once when the store is seeded, and
 *   `bank_key_check`, the key check value of the bank key the PIN hashes are keyed with;
 * - `atm_accounts(card PK, holder, pin_hash, balance ≥ 0, pin_tries)`;
 * - `atm_sessions(token PK, card, terminal, expires_at)`;
 * - `atm_withdrawals(id PK, terminal, session, card NULL, amount, status ∈ held|dispensed|reversed)`;
 * - `atm_journal(id, at, terminal, seq, op, card, amount, withdrawal, code, balance)`:
 *   append-only (triggers abort any UPDATE or DELETE); no unique key on (terminal, seq) on
 *   purpose, so an operation applied twice would show as two rows instead of an error.
 *
 * Opening refuses what is not a sound bank (`ERR_STORE_INVALID`): only a missing file is created
 * and seeded; an existing one that is empty, fails `PRAGMA quick_check` or has no bank tables
 * is refused at start with one line, never silently replaced by fresh demo books. A damaged
 * page met later (`SQLITE_CORRUPT`) fails the store for good (`onFatalError`, see the request
 * log's SQLite store), so the server can stop instead of answering `ERR_UNAVAILABLE` forever.
 *
 * Write cost per request (the group-commit hot path): the journal has no secondary index (one
 * on (terminal, seq) dirtied a page per ATM per batch; only the audit groups by it, and a scan
 * does) and a plain `INTEGER PRIMARY KEY` (AUTOINCREMENT would add a `sqlite_sequence` write per
 * row; nothing is ever deleted, so ids are never reused anyway). Stores created before keep
 * their index and AUTOINCREMENT; both are harmless. Stores created before sessions were bound
 * get the `terminal` and `session` columns added (NULL in old rows) and their PIN hashes keyed
 * (see `seed.ts`) the first time they are opened with a bank key.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { type SqliteEffect, type SqliteStore, type SqliteStoreOptions, createSqliteStore, isSqliteCorruption } from '@netlab/request-log/sqlite';
import { assembleAudit } from '../audit.js';
import { type BankKey, createBankKey } from '../bank-key.js';
import { DEMO_ACCOUNTS } from '../demo-accounts.js';
import { AtmError } from '../errors.js';
import type { AccountSummary, AtmLedger, LedgerAudit, LedgerOptions, PreparedRequest } from '../ledger.js';
import type { AccountRow, LedgerLimits, SessionRow, WithdrawalRow, WithdrawalStatus } from '../ledger-core.js';
import { resolveLimits } from '../limits.js';
import { LEGACY_PIN_HASH_PREFIX, MAX_PIN_TRIES, pepperLegacyPinHash } from '../pin.js';
import { prepareRequest } from '../prepare.js';
import { type SyncLedgerIo, runOperationSync } from '../run-operation.js';
import { checkBankKey, hashSeedAccounts } from '../seed.js';

/** Default table prefix of the bank's tables. */
export const DEFAULT_SQLITE_LEDGER_PREFIX = 'atm';

export interface SqliteLedgerOptions extends LedgerOptions, Pick<SqliteStoreOptions, 'synchronous' | 'groupCommit' | 'syncInBackground' | 'maxBatch' | 'busyTimeoutMs' | 'onFatalError'> {
  /**
   * Database file path (`':memory:'` for tests) or an open better-sqlite3 database. Required. A
   * path that does not exist is created and seeded; an existing file must be a sound netlab bank
   * (`ERR_STORE_INVALID` otherwise: empty, failing `PRAGMA quick_check`, or without the bank's
   * tables); its directory must exist.
   */
  readonly database: string | Database.Database;
  /** Prefix of the bank's tables (`[a-z_][a-z0-9_]*`). Default {@link DEFAULT_SQLITE_LEDGER_PREFIX}. */
  readonly tablePrefix?: string;
  /**
   * The bank key's 32 bytes, kept OUTSIDE the database (a key file, an environment variable).
   * Required: the PIN hashes are keyed with it, and a store opened with another key is refused
   * (`ERR_WRONG_BANK_KEY`).
   */
  readonly bankKey: Uint8Array;
}

export interface SqliteLedger extends AtmLedger<SqliteEffect> {
  readonly store: SqliteStore;
  readonly db: Database.Database;
}

interface AccountDbRow {
  card: string;
  holder: string;
  pin_hash: string;
  balance: number;
  pin_tries: number;
}

const toAccount = (row: AccountDbRow | undefined): AccountRow | undefined =>
  row === undefined ? undefined : { card: row.card, holder: row.holder, pinHash: row.pin_hash, balance: row.balance, pinTries: row.pin_tries };

function invalid(path: string, reason: 'empty' | 'damaged' | 'not-a-bank' | 'cannot-open', detail: string, cause?: unknown): AtmError {
  return new AtmError('ERR_STORE_INVALID', `store ${path} ${detail}`, { details: { path, reason }, ...(cause === undefined ? {} : { cause }) });
}

/**
 * Opens a store file: a missing one is created; an existing one must be a sound bank (see the
 * module comment). The WAL beside the file is part of the store and is applied by SQLite.
 */
function openDatabaseFile(path: string, metaTable: string): Database.Database {
  if (path === ':memory:' || !existsSync(path)) {
    try {
      return new Database(path);
    } catch (error) {
      throw invalid(path, 'cannot-open', `cannot be created: ${error instanceof Error ? error.message : String(error)}`, error);
    }
  }
  if (statSync(path).size === 0) throw invalid(path, 'empty', 'is an empty file (0 bytes), not a netlab bank: refusing to start with fresh books (delete it to start a new bank)');
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    const problems = db.pragma('quick_check', { simple: false }) as { quick_check: string }[];
    const first = problems[0]?.quick_check ?? 'ok';
    if (problems.length !== 1 || first !== 'ok') throw invalid(path, 'damaged', `is damaged (PRAGMA quick_check: ${first.split('\n')[0] ?? first})`);
    const hasBank = db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(metaTable);
    if (hasBank?.n !== 1) throw invalid(path, 'not-a-bank', 'holds no netlab bank (another program\'s database, or a bank whose creation was interrupted): refusing to add one to it');
    return db;
  } catch (error) {
    if (db?.open === true) db.close();
    if (error instanceof AtmError) throw error;
    const why = isSqliteCorruption(error) ? 'is damaged' : 'cannot be opened';
    throw invalid(path, isSqliteCorruption(error) ? 'damaged' : 'cannot-open', `${why}: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

/** Opens (creating and seeding if new) a SQLite ledger. */
export async function createSqliteAtmLedger(options: SqliteLedgerOptions): Promise<SqliteLedger> {
  const limits = resolveLimits(options.limits);
  const key = createBankKey(options.bankKey);
  const prefix = options.tablePrefix ?? DEFAULT_SQLITE_LEDGER_PREFIX;
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new AtmError('ERR_INVALID_OPTION', `tablePrefix must match /^[a-z_][a-z0-9_]*$/, got ${prefix}`);
  const table = (name: string): string => `${prefix}_${name}`;
  const owned = typeof options.database === 'string';
  const db = typeof options.database === 'string' ? openDatabaseFile(options.database, table('meta')) : options.database;
  try {
    return await openSqliteLedger(options, db, owned, { limits, key, table });
  } catch (error) {
    // A ledger that could not open must not keep its file open.
    if (owned && db.open) db.close();
    throw error;
  }
}

async function openSqliteLedger(
  options: SqliteLedgerOptions,
  db: Database.Database,
  owned: boolean,
  { limits, key, table }: { readonly limits: LedgerLimits; readonly key: BankKey; readonly table: (name: string) => string },
): Promise<SqliteLedger> {
  const store = createSqliteStore({
    database: db,
    ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }),
    ...(options.groupCommit === undefined ? {} : { groupCommit: options.groupCommit }),
    ...(options.syncInBackground === undefined ? {} : { syncInBackground: options.syncInBackground }),
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
    ...(options.onFatalError === undefined ? {} : { onFatalError: options.onFatalError }),
  });
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${table('meta')} (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${table('accounts')} (
      card TEXT PRIMARY KEY, holder TEXT NOT NULL, pin_hash TEXT NOT NULL,
      balance INTEGER NOT NULL CHECK (balance >= 0), pin_tries INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${table('sessions')} (token TEXT PRIMARY KEY, card TEXT NOT NULL, terminal TEXT, expires_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ${table('sessions_card')} ON ${table('sessions')} (card);
    CREATE TABLE IF NOT EXISTS ${table('withdrawals')} (
      id TEXT PRIMARY KEY, terminal TEXT NOT NULL, session TEXT, card TEXT, amount INTEGER NOT NULL CHECK (amount >= 0),
      status TEXT NOT NULL CHECK (status IN ('held', 'dispensed', 'reversed'))
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${table('journal')} (
      id INTEGER PRIMARY KEY, at INTEGER NOT NULL, terminal TEXT NOT NULL, seq INTEGER NOT NULL,
      op TEXT NOT NULL, card TEXT, amount INTEGER, withdrawal TEXT, code TEXT NOT NULL, balance INTEGER
    );
    CREATE TRIGGER IF NOT EXISTS ${table('journal_no_update')} BEFORE UPDATE ON ${table('journal')} BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
    CREATE TRIGGER IF NOT EXISTS ${table('journal_no_delete')} BEFORE DELETE ON ${table('journal')} BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
  `);
  // Stores from before sessions were bound: add the columns (NULL in old rows).
  const columns = (name: string): Set<string> => new Set(db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table(name)}')`).all().map((row) => row.name));
  if (!columns('sessions').has('terminal')) db.exec(`ALTER TABLE ${table('sessions')} ADD COLUMN terminal TEXT`);
  if (!columns('withdrawals').has('session')) db.exec(`ALTER TABLE ${table('withdrawals')} ADD COLUMN session TEXT`);

  const metaValue = db.prepare<[string], { value: number }>(`SELECT value FROM ${table('meta')} WHERE key = ?`);
  const setMeta = db.prepare<[string, number]>(`INSERT INTO ${table('meta')} (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
  const seeded = metaValue.get('initial_total') !== undefined;
  const accounts = seeded ? [] : await hashSeedAccounts(options, DEMO_ACCOUNTS, key);
  const insertAccount = db.prepare<[string, string, string, number]>(`INSERT INTO ${table('accounts')} (card, holder, pin_hash, balance) VALUES (?, ?, ?, ?)`);
  db.transaction(() => {
    // Another process may have seeded while we hashed: the first one wins.
    if (metaValue.get('initial_total') === undefined) {
      for (const account of accounts) insertAccount.run(account.card, account.holder, account.pinHash, account.balance);
      setMeta.run('initial_total', accounts.reduce((sum, a) => sum + a.balance, 0));
      setMeta.run('bank_key_check', key.check);
      return;
    }
    if (checkBankKey(metaValue.get('bank_key_check')?.value, key) === 'upgrade') {
      const legacy = db.prepare<[string], { card: string; pin_hash: string }>(`SELECT card, pin_hash FROM ${table('accounts')} WHERE pin_hash LIKE ? || '%'`).all(LEGACY_PIN_HASH_PREFIX);
      const update = db.prepare<[string, string]>(`UPDATE ${table('accounts')} SET pin_hash = ? WHERE card = ?`);
      for (const row of legacy) update.run(pepperLegacyPinHash(row.pin_hash, key), row.card);
      setMeta.run('bank_key_check', key.check);
    }
  }).immediate();

  const selectAccount = db.prepare<[string], AccountDbRow>(`SELECT card, holder, pin_hash, balance, pin_tries FROM ${table('accounts')} WHERE card = ?`);
  const updateAccount = db.prepare<[number, number, string]>(`UPDATE ${table('accounts')} SET balance = ?, pin_tries = ? WHERE card = ?`);
  const selectSession = db.prepare<[string], { token: string; card: string; terminal: string | null; expires_at: number }>(
    `SELECT token, card, terminal, expires_at FROM ${table('sessions')} WHERE token = ?`,
  );
  const upsertSession = db.prepare<[string, string, string | null, number]>(
    `INSERT INTO ${table('sessions')} (token, card, terminal, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (token) DO UPDATE SET expires_at = excluded.expires_at`,
  );
  const deleteSession = db.prepare<[string]>(`DELETE FROM ${table('sessions')} WHERE token = ?`);
  const purgeSessions = db.prepare<[string, number]>(`DELETE FROM ${table('sessions')} WHERE card = ? AND expires_at <= ?`);
  const selectWithdrawal = db.prepare<[string], { id: string; terminal: string; session: string | null; card: string | null; amount: number; status: WithdrawalStatus }>(
    `SELECT id, terminal, session, card, amount, status FROM ${table('withdrawals')} WHERE id = ?`,
  );
  const upsertWithdrawal = db.prepare<[string, string, string | null, string | null, number, string]>(
    `INSERT INTO ${table('withdrawals')} (id, terminal, session, card, amount, status) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status`,
  );
  const appendJournal = db.prepare<[number, string, number, string, string | null, number | null, string | null, string, number | null]>(
    `INSERT INTO ${table('journal')} (at, terminal, seq, op, card, amount, withdrawal, code, balance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const pinHashOf = db.prepare<[string], { pin_hash: string }>(`SELECT pin_hash FROM ${table('accounts')} WHERE card = ?`);

  // One set of reads and writes for every request: the effect itself is the only per-request closure.
  const io: SyncLedgerIo = {
    account: (card) => toAccount(selectAccount.get(card)),
    session(token) {
      const row = selectSession.get(token);
      return row === undefined ? undefined : ({ token: row.token, card: row.card, terminal: row.terminal, expiresAt: row.expires_at } satisfies SessionRow);
    },
    withdrawal: (id) => selectWithdrawal.get(id) satisfies WithdrawalRow | undefined,
    write(changes) {
      if (changes.account !== undefined) updateAccount.run(changes.account.balance, changes.account.pinTries, changes.account.card);
      if (changes.purgeExpiredSessionsOf !== undefined) purgeSessions.run(changes.purgeExpiredSessionsOf.card, changes.purgeExpiredSessionsOf.now);
      if (changes.deleteSession !== undefined) deleteSession.run(changes.deleteSession);
      const session = changes.putSession;
      if (session !== undefined) upsertSession.run(session.token, session.card, session.terminal, session.expiresAt);
      const withdrawal = changes.putWithdrawal;
      if (withdrawal !== undefined) upsertWithdrawal.run(withdrawal.id, withdrawal.terminal, withdrawal.session, withdrawal.card, withdrawal.amount, withdrawal.status);
    },
    append(entry) {
      appendJournal.run(entry.at, entry.terminal, entry.seq, entry.op, entry.card, entry.amount, entry.withdrawal, entry.code, entry.balance);
    },
  };
  const settings = { limits, key };
  const effect = (prepared: PreparedRequest): SqliteEffect => (_db, _payload, context) => runOperationSync(prepared, context, settings, io);

  return {
    kind: 'sqlite',
    store,
    db,
    limits,
    bankKey: key,
    prepare: (request) =>
      prepareRequest(
        request,
        (card) => {
          try {
            return Promise.resolve(pinHashOf.get(card)?.pin_hash);
          } catch (error) {
            // A damaged page met outside the transaction fails the store just the same.
            store.checkFatal(error);
            throw error;
          }
        },
        key,
      ),
    effect,
    audit(): Promise<LedgerAudit> {
      const totals = db
        .prepare<[], { initial: number | null; balances: number | null; accounts: number; deposited: number | null }>(
          `SELECT (SELECT value FROM ${table('meta')} WHERE key = 'initial_total') AS initial,
                  (SELECT sum(balance) FROM ${table('accounts')}) AS balances,
                  (SELECT count(*) FROM ${table('accounts')}) AS accounts,
                  (SELECT sum(amount) FROM ${table('journal')} WHERE op = 'deposit' AND code = 'APPROVED') AS deposited`,
        )
        .get();
      return Promise.resolve(
        assembleAudit({
          initialTotal: totals?.initial ?? 0,
          deposited: totals?.deposited ?? 0,
          balances: totals?.balances ?? 0,
          accounts: totals?.accounts ?? 0,
          negativeAccounts: db.prepare<[], { card: string }>(`SELECT card FROM ${table('accounts')} WHERE balance < 0`).all().map((row) => row.card),
          withdrawals: db
            .prepare<[], { status: string; count: number; amount: number }>(`SELECT status, count(*) AS count, sum(amount) AS amount FROM ${table('withdrawals')} GROUP BY status`)
            .all(),
          journal: db
            .prepare<[], { id: string; count: number }>(`SELECT terminal || ':' || seq AS id, count(*) AS count FROM ${table('journal')} GROUP BY terminal, seq`)
            .all(),
        }),
      );
    },
    accounts(): Promise<readonly AccountSummary[]> {
      const rows = db.prepare<[], { card: string; holder: string; balance: number; pin_tries: number }>(`SELECT card, holder, balance, pin_tries FROM ${table('accounts')} ORDER BY card`).all();
      return Promise.resolve(rows.map((row) => ({ card: row.card, holder: row.holder, balance: row.balance, locked: row.pin_tries >= MAX_PIN_TRIES })));
    },
    unlock(card) {
      return Promise.resolve(db.prepare(`UPDATE ${table('accounts')} SET pin_tries = 0 WHERE card = ?`).run(card).changes > 0);
    },
    async close() {
      await store.close();
      if (owned && db.open) db.close();
    },
  };
}
