/**
 * The SQLite ledger: the bank's tables live in the same database file as the request log's
 * records, and each operation runs inside the request log's transaction (group commit: many
 * operations per fsync, each in its own savepoint). Effects are synchronous, so two ATMs
 * withdrawing from one account are serialized by the single writer; `CHECK (balance >= 0)` is
 * the backstop that would abort (and roll back) any change driving an account negative.
 *
 * Tables (prefix `atm` by default):
 * - `atm_meta(key PK, value)`: `initial_total`, written once when the store is seeded;
 * - `atm_accounts(card PK, holder, pin_hash, balance ≥ 0, pin_tries)`;
 * - `atm_sessions(token PK, card, expires_at)`;
 * - `atm_withdrawals(id PK, terminal, card NULL, amount, status ∈ held|dispensed|reversed)`;
 * - `atm_journal(id, at, terminal, seq, op, card, amount, withdrawal, code, balance)`:
 *   append-only (triggers abort any UPDATE or DELETE); no unique key on (terminal, seq) on
 *   purpose, so an operation applied twice would show as two rows instead of an error.
 *
 * Write cost per request (the group-commit hot path): the journal has no secondary index (one
 * on (terminal, seq) dirtied a page per ATM per batch; only the audit groups by it, and a scan
 * does) and a plain `INTEGER PRIMARY KEY` (AUTOINCREMENT would add a `sqlite_sequence` write per
 * row; nothing is ever deleted, so ids are never reused anyway). Stores created before keep
 * their index and AUTOINCREMENT; both are harmless.
 */
import Database from 'better-sqlite3';
import type { JsonValue } from '@netlab/request-log';
import { type SqliteEffect, type SqliteStore, type SqliteStoreOptions, createSqliteStore } from '@netlab/request-log/sqlite';
import { DEMO_ACCOUNTS } from '../demo-accounts.js';
import { AtmError } from '../errors.js';
import type { AccountSummary, AtmLedger, LedgerAudit, LedgerOptions } from '../ledger.js';
import type { AccountRow, SessionRow, WithdrawalRow, WithdrawalStatus } from '../ledger-core.js';
import { type SyncLedgerIo, assembleAudit, hashSeedAccounts, prepareRequest, resolveLimits, runOperationSync } from '../ledger-support.js';
import { MAX_PIN_TRIES } from '../pin.js';

/** Default table prefix of the bank's tables. */
export const DEFAULT_SQLITE_LEDGER_PREFIX = 'atm';

export interface SqliteLedgerOptions extends LedgerOptions, Pick<SqliteStoreOptions, 'synchronous' | 'groupCommit' | 'maxBatch' | 'busyTimeoutMs'> {
  /** Database file path (`':memory:'` for tests) or an open better-sqlite3 database. Required. */
  readonly database: string | Database.Database;
  /** Prefix of the bank's tables (`[a-z_][a-z0-9_]*`). Default {@link DEFAULT_SQLITE_LEDGER_PREFIX}. */
  readonly tablePrefix?: string;
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

/** Opens (creating and seeding if new) a SQLite ledger. */
export async function createSqliteAtmLedger(options: SqliteLedgerOptions): Promise<SqliteLedger> {
  const limits = resolveLimits(options.limits);
  const p = options.tablePrefix ?? DEFAULT_SQLITE_LEDGER_PREFIX;
  if (!/^[a-z_][a-z0-9_]*$/.test(p)) throw new AtmError('ERR_INVALID_OPTION', `tablePrefix must match /^[a-z_][a-z0-9_]*$/, got ${p}`);
  const owned = typeof options.database === 'string';
  const db = typeof options.database === 'string' ? new Database(options.database) : options.database;
  const store = createSqliteStore({
    database: db,
    ...(options.synchronous === undefined ? {} : { synchronous: options.synchronous }),
    ...(options.groupCommit === undefined ? {} : { groupCommit: options.groupCommit }),
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
  });
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${p}_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${p}_accounts (
      card TEXT PRIMARY KEY, holder TEXT NOT NULL, pin_hash TEXT NOT NULL,
      balance INTEGER NOT NULL CHECK (balance >= 0), pin_tries INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${p}_sessions (token TEXT PRIMARY KEY, card TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ${p}_sessions_card ON ${p}_sessions (card);
    CREATE TABLE IF NOT EXISTS ${p}_withdrawals (
      id TEXT PRIMARY KEY, terminal TEXT NOT NULL, card TEXT, amount INTEGER NOT NULL CHECK (amount >= 0),
      status TEXT NOT NULL CHECK (status IN ('held', 'dispensed', 'reversed'))
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${p}_journal (
      id INTEGER PRIMARY KEY, at INTEGER NOT NULL, terminal TEXT NOT NULL, seq INTEGER NOT NULL,
      op TEXT NOT NULL, card TEXT, amount INTEGER, withdrawal TEXT, code TEXT NOT NULL, balance INTEGER
    );
    CREATE TRIGGER IF NOT EXISTS ${p}_journal_no_update BEFORE UPDATE ON ${p}_journal BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
    CREATE TRIGGER IF NOT EXISTS ${p}_journal_no_delete BEFORE DELETE ON ${p}_journal BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
  `);
  const hasMeta = db.prepare<[], { value: number }>(`SELECT value FROM ${p}_meta WHERE key = 'initial_total'`);
  if (hasMeta.get() === undefined) {
    const accounts = await hashSeedAccounts(options, DEMO_ACCOUNTS);
    const insert = db.prepare<[string, string, string, number]>(`INSERT INTO ${p}_accounts (card, holder, pin_hash, balance) VALUES (?, ?, ?, ?)`);
    db.transaction(() => {
      // Another process may have seeded while we hashed: the first one wins.
      if (hasMeta.get() !== undefined) return;
      for (const account of accounts) insert.run(account.card, account.holder, account.pinHash, account.balance);
      db.prepare(`INSERT INTO ${p}_meta (key, value) VALUES ('initial_total', ?)`).run(accounts.reduce((sum, a) => sum + a.balance, 0));
    }).immediate();
  }

  const selectAccount = db.prepare<[string], AccountDbRow>(`SELECT card, holder, pin_hash, balance, pin_tries FROM ${p}_accounts WHERE card = ?`);
  const updateAccount = db.prepare<[number, number, string]>(`UPDATE ${p}_accounts SET balance = ?, pin_tries = ? WHERE card = ?`);
  const selectSession = db.prepare<[string], { token: string; card: string; expires_at: number }>(`SELECT token, card, expires_at FROM ${p}_sessions WHERE token = ?`);
  const upsertSession = db.prepare<[string, string, number]>(
    `INSERT INTO ${p}_sessions (token, card, expires_at) VALUES (?, ?, ?) ON CONFLICT (token) DO UPDATE SET expires_at = excluded.expires_at`,
  );
  const deleteSession = db.prepare<[string]>(`DELETE FROM ${p}_sessions WHERE token = ?`);
  const purgeSessions = db.prepare<[string, number]>(`DELETE FROM ${p}_sessions WHERE card = ? AND expires_at <= ?`);
  const selectWithdrawal = db.prepare<[string], { id: string; terminal: string; card: string | null; amount: number; status: WithdrawalStatus }>(
    `SELECT id, terminal, card, amount, status FROM ${p}_withdrawals WHERE id = ?`,
  );
  const upsertWithdrawal = db.prepare<[string, string, string | null, number, string]>(
    `INSERT INTO ${p}_withdrawals (id, terminal, card, amount, status) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status`,
  );
  const appendJournal = db.prepare<[number, string, number, string, string | null, number | null, string | null, string, number | null]>(
    `INSERT INTO ${p}_journal (at, terminal, seq, op, card, amount, withdrawal, code, balance) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const pinHashOf = db.prepare<[string], { pin_hash: string }>(`SELECT pin_hash FROM ${p}_accounts WHERE card = ?`);

  // One set of reads and writes for every request: the effect itself is the only per-request closure.
  const io: SyncLedgerIo = {
    account: (card) => toAccount(selectAccount.get(card)),
    session(token) {
      const row = selectSession.get(token);
      return row === undefined ? undefined : ({ token: row.token, card: row.card, expiresAt: row.expires_at } satisfies SessionRow);
    },
    withdrawal: (id) => selectWithdrawal.get(id) satisfies WithdrawalRow | undefined,
    write(changes) {
      if (changes.account !== undefined) updateAccount.run(changes.account.balance, changes.account.pinTries, changes.account.card);
      if (changes.purgeExpiredSessionsOf !== undefined) purgeSessions.run(changes.purgeExpiredSessionsOf.card, changes.purgeExpiredSessionsOf.now);
      if (changes.deleteSession !== undefined) deleteSession.run(changes.deleteSession);
      if (changes.putSession !== undefined) upsertSession.run(changes.putSession.token, changes.putSession.card, changes.putSession.expiresAt);
      const w = changes.putWithdrawal;
      if (w !== undefined) upsertWithdrawal.run(w.id, w.terminal, w.card, w.amount, w.status);
    },
    append(e) {
      appendJournal.run(e.at, e.terminal, e.seq, e.op, e.card, e.amount, e.withdrawal, e.code, e.balance);
    },
  };
  const effect = (prepared: Parameters<SqliteLedger['effect']>[0]): SqliteEffect => (_db, _payload, context) =>
    runOperationSync(prepared, context, limits, io) as unknown as JsonValue;

  return {
    kind: 'sqlite',
    store,
    db,
    limits,
    prepare: (payload) => prepareRequest(payload, (card) => Promise.resolve(pinHashOf.get(card)?.pin_hash)),
    effect,
    audit(): Promise<LedgerAudit> {
      const totals = db
        .prepare<[], { initial: number | null; balances: number | null; accounts: number; deposited: number | null }>(
          `SELECT (SELECT value FROM ${p}_meta WHERE key = 'initial_total') AS initial,
                  (SELECT sum(balance) FROM ${p}_accounts) AS balances,
                  (SELECT count(*) FROM ${p}_accounts) AS accounts,
                  (SELECT sum(amount) FROM ${p}_journal WHERE op = 'deposit' AND code = 'APPROVED') AS deposited`,
        )
        .get();
      return Promise.resolve(
        assembleAudit({
          initialTotal: totals?.initial ?? 0,
          deposited: totals?.deposited ?? 0,
          balances: totals?.balances ?? 0,
          accounts: totals?.accounts ?? 0,
          negativeAccounts: db.prepare<[], { card: string }>(`SELECT card FROM ${p}_accounts WHERE balance < 0`).all().map((row) => row.card),
          withdrawals: db
            .prepare<[], { status: string; count: number; amount: number }>(`SELECT status, count(*) AS count, sum(amount) AS amount FROM ${p}_withdrawals GROUP BY status`)
            .all(),
          journal: db
            .prepare<[], { id: string; count: number }>(`SELECT terminal || ':' || seq AS id, count(*) AS count FROM ${p}_journal GROUP BY terminal, seq`)
            .all(),
        }),
      );
    },
    accounts(): Promise<readonly AccountSummary[]> {
      const rows = db.prepare<[], { card: string; holder: string; balance: number; pin_tries: number }>(`SELECT card, holder, balance, pin_tries FROM ${p}_accounts ORDER BY card`).all();
      return Promise.resolve(rows.map((row) => ({ card: row.card, holder: row.holder, balance: row.balance, locked: row.pin_tries >= MAX_PIN_TRIES })));
    },
    async close() {
      await store.close();
      if (owned && db.open) db.close();
    },
  };
}
