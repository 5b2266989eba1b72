/**
 * A durable client outbox in SQLite: a restarted client resumes its unresolved requests with
 * their original ids. Every `save` is one transaction (fsynced with `synchronous=FULL`, the
 * default), so a request is on disk before it is first sent and a resolution before the
 * watermark that depends on it is sent.
 *
 * Tables (prefix configurable): `<p>_meta(name PK, client_id, next_seq, ack)` and
 * `<p>_entries(name, seq, payload, PK(name, seq))`; `name` lets several clients share a file.
 */
import Database from 'better-sqlite3';
import type { JsonValue } from '../core/canonical-json.js';
import type { ClientSnapshot } from '../core/client-core.js';
import { RequestLogError } from '../errors.js';
import type { Outbox, OutboxChange } from '../outbox.js';

/** Default outbox table prefix. */
export const DEFAULT_OUTBOX_TABLE_PREFIX = 'request_log_outbox';

export interface SqliteOutboxOptions {
  /** Database file path or an open better-sqlite3 database. Required. */
  readonly database: string | Database.Database;
  /** Which client's outbox this is, when several share a file. Default `'default'`. */
  readonly name?: string;
  /** Table name prefix. Default {@link DEFAULT_OUTBOX_TABLE_PREFIX}. */
  readonly tablePrefix?: string;
  /** `PRAGMA synchronous`. Default `'FULL'`. */
  readonly synchronous?: 'FULL' | 'NORMAL' | 'OFF';
}

export interface SqliteOutbox extends Outbox {
  readonly db: Database.Database;
  close(): void;
}

/** Creates a SQLite outbox (see the module comment). */
export function createSqliteOutbox(options: SqliteOutboxOptions): SqliteOutbox {
  const prefix = options.tablePrefix ?? DEFAULT_OUTBOX_TABLE_PREFIX;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) throw new RequestLogError('ERR_INVALID_OPTION', `bad tablePrefix ${prefix}`);
  const name = options.name ?? 'default';
  const owned = typeof options.database === 'string';
  const db = typeof options.database === 'string' ? new Database(options.database) : options.database;
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${prefix}_meta (name TEXT PRIMARY KEY, client_id TEXT NOT NULL, next_seq INTEGER NOT NULL, ack INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS ${prefix}_entries (name TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (name, seq)) WITHOUT ROWID;
  `);
  const selectMeta = db.prepare<[string], { client_id: string; next_seq: number; ack: number }>(
    `SELECT client_id, next_seq, ack FROM ${prefix}_meta WHERE name = ?`,
  );
  const selectEntries = db.prepare<[string], { seq: number; payload: string }>(`SELECT seq, payload FROM ${prefix}_entries WHERE name = ? ORDER BY seq`);
  const upsertMeta = db.prepare<[string, string, number, number]>(
    `INSERT INTO ${prefix}_meta (name, client_id, next_seq, ack) VALUES (?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET client_id = excluded.client_id, next_seq = excluded.next_seq, ack = excluded.ack`,
  );
  const insertEntry = db.prepare<[string, number, string]>(`INSERT OR REPLACE INTO ${prefix}_entries (name, seq, payload) VALUES (?, ?, ?)`);
  const deleteEntry = db.prepare<[string, number]>(`DELETE FROM ${prefix}_entries WHERE name = ? AND seq = ?`);
  const save = db.transaction((change: OutboxChange) => {
    upsertMeta.run(name, change.clientId, change.nextSeq, change.ack);
    for (const entry of change.add ?? []) insertEntry.run(name, entry.seq, JSON.stringify(entry.payload));
    for (const seq of change.remove ?? []) deleteEntry.run(name, seq);
  });
  return {
    db,
    load(): ClientSnapshot | undefined {
      const meta = selectMeta.get(name);
      if (meta === undefined) return undefined;
      const pending = selectEntries.all(name).map((row) => ({ seq: row.seq, payload: JSON.parse(row.payload) as JsonValue }));
      return { clientId: meta.client_id, nextSeq: meta.next_seq, ack: meta.ack, pending };
    },
    save(change) {
      save.immediate(change);
    },
    close() {
      if (owned) db.close();
    },
  };
}
