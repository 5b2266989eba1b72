/**
 * The SQLite store (better-sqlite3): completion records live in the same database file as the
 * effects' own tables, so an effect's writes and its record commit in one transaction.
 *
 * Durability: WAL journal, `synchronous=FULL` by default: a reply leaves only after the COMMIT
 * that holds its record has been fsynced.
 *
 * Group commit: requests that arrive together (in the same turn of the event loop, up to
 * `maxBatch`) run in ONE transaction, each inside its own SAVEPOINT: one fsync per batch instead
 * of one per request. An effect that throws is rolled back to its savepoint (its failure is
 * recorded) and never disturbs the others; a request whose bookkeeping fails is rolled back alone
 * and answered `ERR_UNAVAILABLE`; if the COMMIT itself fails, every request of the batch is
 * answered `ERR_UNAVAILABLE` and nothing of it exists. Replies are released only after COMMIT.
 *
 * Durable commits off the event loop (`syncInBackground`, the default with `synchronous=FULL` on a
 * file): a batch's COMMIT only writes its WAL frames (the connection's `synchronous` is lowered
 * to NORMAL for that one transaction, so SQLite itself does not fsync), and the store then fsyncs
 * the WAL file on libuv's thread pool (`fs.fsync`) while the event loop goes on decoding and
 * running the next batch. One fsync covers every batch committed before it started; at most one
 * is in flight, and the batches committed meanwhile wait for the next one. A batch's replies are
 * released only when an fsync that started after its COMMIT has completed, so an acknowledged
 * request is as durable as with SQLite's own FULL sync. Later batches read the state of earlier
 * ones whose fsync is still running (duplicates replay, balances move on); that is safe because
 * WAL frames are checksummed in a chain: after a power loss a later batch survives only if every
 * earlier one did, and no reply of a batch leaves before its own fsync. A kill -9 loses nothing
 * that was committed (the frames are in the OS page cache). A failed fsync fails the store for
 * good (`ERR_STORE_FAILED`: after a failed fsync the kernel may have dropped the dirty pages, so
 * nothing written since can be trusted). SQLite's checkpoints keep their own syncs (NORMAL syncs
 * the WAL before a checkpoint and the database after it). Every other write on the shared handle
 * (the application's own transactions, `expire`) keeps `synchronous=FULL`.
 * `syncInBackground: false` (or `groupCommit: false`) is the old writer: SQLite fsyncs inside
 * COMMIT, on the event loop.
 *
 * Effects are synchronous (better-sqlite3 is): they receive the `Database` and run inside the
 * open transaction; an effect that returns a promise fails with `ERR_ASYNC_EFFECT`.
 *
 * A damaged file (`SQLITE_CORRUPT`, `SQLITE_NOTADB`) is not transient: retrying can never help,
 * and answering `ERR_UNAVAILABLE` would keep clients retransmitting forever. The store then
 * fails for good: the batch is rolled back, `onFatalError` is called once with an
 * `ERR_STORE_FAILED` error, and every later request is refused with it (the request log answers
 * `ERR_UNAVAILABLE`; the server is expected to stop).
 *
 * Tables (prefix configurable): `<p>_clients(client_id PK, ack, last_seen)` and
 * `<p>_records(client_id, seq, fingerprint, payload, reply, PK(client_id, seq))`.
 */
import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { isPromiseLike } from '@netlab/ground';
import Database from 'better-sqlite3';
import type { JsonValue } from '../core/canonical-json.js';
import { type ClientRow, type CompletionRecord, type LoggedRequest, decide } from '../core/decide.js';
import { failureBody, successBody } from '../core/reply-body.js';
import { type EffectContext, type RequestLogStore, type StoreExecuteOptions, type StoreOutcome, outcomeWithoutEffect } from '../core/store.js';
import { RequestLogError, assertIntegerOption } from '../errors.js';

/** Default largest group-commit batch: 256 requests per transaction. */
export const DEFAULT_MAX_BATCH = 256;
/** Default most fsyncs of the WAL running at once (`syncInBackground`). */
export const DEFAULT_MAX_SYNCS_IN_FLIGHT = 1;
/** Default table name prefix. */
export const DEFAULT_TABLE_PREFIX = 'request_log';
/** Default busy timeout (another process holds the write lock): 5 s. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/** A synchronous effect on SQLite: write with `db`, return the reply value (JSON). */
export type SqliteEffect = (db: Database.Database, payload: JsonValue, context: EffectContext) => JsonValue | undefined;

export interface SqliteStoreOptions {
  /** Database file path (`':memory:'` for tests) or an open better-sqlite3 database. Required. */
  readonly database: string | Database.Database;
  /** `PRAGMA synchronous`. Default `'FULL'` (an acknowledged request survives power loss). */
  readonly synchronous?: 'FULL' | 'NORMAL' | 'OFF';
  /** Batch concurrent requests into one transaction. Default true (false also means `syncInBackground: false`). */
  readonly groupCommit?: boolean;
  /**
   * With `synchronous: 'FULL'` on a file: fsync each batch's WAL on libuv's thread pool instead of
   * inside COMMIT on the event loop, releasing replies only once it is done (see the module
   * comment). Default true; false is the old in-thread writer (a benchmark baseline).
   */
  readonly syncInBackground?: boolean;
  /**
   * What flushes the WAL in the background: `(fd, done) => void`, calling `done(null)` once the
   * file is durable or `done(error)`. Default `fs.fsync` (libuv's thread pool). Tests inject a
   * slow or failing one.
   */
  readonly fsync?: (fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void;
  /**
   * Most background fsyncs running at once (1–64). With 1, batches committed during an fsync
   * wait for it to end before theirs starts; with more, theirs starts at once. Default
   * {@link DEFAULT_MAX_SYNCS_IN_FLIGHT}.
   */
  readonly maxSyncsInFlight?: number;
  /** Largest batch. Default {@link DEFAULT_MAX_BATCH}. */
  readonly maxBatch?: number;
  /** Table name prefix (`[A-Za-z_][A-Za-z0-9_]*`). Default {@link DEFAULT_TABLE_PREFIX}. */
  readonly tablePrefix?: string;
  /** `PRAGMA busy_timeout` in ms. Default {@link DEFAULT_BUSY_TIMEOUT_MS}. */
  readonly busyTimeoutMs?: number;
  /** Called once when the file turns out to be damaged (see the module comment). Default: none. */
  readonly onFatalError?: (error: RequestLogError) => void;
}

export interface SqliteStore extends RequestLogStore<SqliteEffect> {
  /** The database (for the effects' own schema and for reads). */
  readonly db: Database.Database;
  /** Transactions committed so far (one per batch), for tests and benchmarks. */
  readonly commits: number;
  /** Background fsyncs of the WAL completed so far (0 when `syncInBackground` is off), for tests and benchmarks. */
  readonly syncs: number;
  /** The error the store failed with for good, if it did. */
  readonly failure: RequestLogError | undefined;
  /**
   * Reports an error met outside the store's transactions (an effect's own reads): when it is a
   * damaged file, the store fails as if its own statement had met it. Returns true then.
   */
  checkFatal(error: unknown): boolean;
}

/** SQLite's result codes for a damaged file. */
const FATAL = /^SQLITE_(CORRUPT|NOTADB)/;

/** True when `error` is better-sqlite3's report of a damaged file. */
export function isSqliteCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && FATAL.test(code);
}

interface Pending {
  readonly request: LoggedRequest;
  readonly effect: SqliteEffect;
  readonly options: StoreExecuteOptions;
  resolve(outcome: StoreOutcome): void;
  reject(error: Error): void;
}

type ItemResult = { readonly ok: true; readonly outcome: StoreOutcome } | { readonly ok: false; readonly error: unknown };

/** A committed batch whose replies wait for the fsync that makes it durable. */
interface Committed {
  /** Its place in commit order (1, 2, …). */
  readonly gen: number;
  readonly batch: readonly Pending[];
  readonly results: readonly ItemResult[];
}

/** The WAL file of a database on disk, or undefined (`:memory:`, a temporary database). */
function walPathOf(db: Database.Database): string | undefined {
  const main = (db.pragma('database_list') as { name: string; file: string }[]).find((row) => row.name === 'main');
  return main === undefined || main.file === '' ? undefined : `${main.file}-wal`;
}

/** Opens `path` for fsync (read-write where allowed: some systems refuse to flush a read-only handle); undefined if it cannot. */
function openForSync(path: string): number | undefined {
  for (const flags of ['r+', 'r']) {
    try {
      return openSync(path, flags);
    } catch {
      // Try the next mode.
    }
  }
  return undefined;
}

function unavailable(error: unknown, what: string): RequestLogError {
  return new RequestLogError('ERR_UNAVAILABLE', `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

/** Creates a SQLite store (see the module comment). */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const prefix = options.tablePrefix ?? DEFAULT_TABLE_PREFIX;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(prefix)) throw new RequestLogError('ERR_INVALID_OPTION', `bad tablePrefix ${prefix}`);
  const synchronous = options.synchronous ?? 'FULL';
  if (!['FULL', 'NORMAL', 'OFF'].includes(synchronous)) throw new RequestLogError('ERR_INVALID_OPTION', `bad synchronous ${synchronous as string}`);
  const maxBatch = options.groupCommit === false ? 1 : (options.maxBatch ?? DEFAULT_MAX_BATCH);
  const wantBackground = options.groupCommit !== false && options.syncInBackground !== false && synchronous === 'FULL';
  assertIntegerOption('maxBatch', maxBatch, 1, 100_000);
  const maxSyncsInFlight = options.maxSyncsInFlight ?? DEFAULT_MAX_SYNCS_IN_FLIGHT;
  assertIntegerOption('maxSyncsInFlight', maxSyncsInFlight, 1, 64);
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  assertIntegerOption('busyTimeoutMs', busyTimeoutMs, 0, 2 ** 31 - 1);

  const owned = typeof options.database === 'string';
  const db = typeof options.database === 'string' ? new Database(options.database) : options.database;
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  const clients = `${prefix}_clients`;
  const records = `${prefix}_records`;
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${clients} (
      client_id TEXT PRIMARY KEY, ack INTEGER NOT NULL, last_seen INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ${clients}_last_seen ON ${clients} (last_seen);
    CREATE TABLE IF NOT EXISTS ${records} (
      client_id TEXT NOT NULL, seq INTEGER NOT NULL, fingerprint TEXT NOT NULL,
      payload TEXT NOT NULL, reply TEXT NOT NULL, PRIMARY KEY (client_id, seq)
    ) WITHOUT ROWID;
  `);
  const selectClient = db.prepare<[string], { ack: number; last_seen: number }>(`SELECT ack, last_seen FROM ${clients} WHERE client_id = ?`);
  const selectRecord = db.prepare<[string, number], CompletionRecord>(
    `SELECT payload, reply FROM ${records} WHERE client_id = ? AND seq = ?`,
  );
  const insertRecord = db.prepare<[string, number, string, string, string]>(
    `INSERT INTO ${records} (client_id, seq, fingerprint, payload, reply) VALUES (?, ?, ?, ?, ?)`,
  );
  const upsertClient = db.prepare<[string, number, number]>(
    `INSERT INTO ${clients} (client_id, ack, last_seen) VALUES (?, ?, ?)
     ON CONFLICT (client_id) DO UPDATE SET ack = max(ack, excluded.ack), last_seen = max(last_seen, excluded.last_seen)`,
  );
  const collect = db.prepare<[string, number]>(`DELETE FROM ${records} WHERE client_id = ? AND seq <= ?`);
  const expiring = `last_seen < ? OR (ack = 0 AND last_seen < ?)`;
  const expireRecords = db.prepare<[number, number]>(`DELETE FROM ${records} WHERE client_id IN (SELECT client_id FROM ${clients} WHERE ${expiring})`);
  const expireClients = db.prepare<[number, number]>(`DELETE FROM ${clients} WHERE ${expiring}`);
  const countClients = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${clients}`);
  const countRecords = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM ${records}`);
  const savepoint = db.prepare('SAVEPOINT request_log_item');
  const release = db.prepare('RELEASE request_log_item');
  const rollbackTo = db.prepare('ROLLBACK TO request_log_item');
  const effectSavepoint = db.prepare('SAVEPOINT request_log_effect');
  const effectRelease = db.prepare('RELEASE request_log_effect');
  const effectRollback = db.prepare('ROLLBACK TO request_log_effect');
  const begin = db.prepare('BEGIN IMMEDIATE');
  const commit = db.prepare('COMMIT');

  // The background writer needs the WAL on disk: it exists once the schema above was written.
  const walPath = wantBackground && db.pragma('journal_mode', { simple: true }) === 'wal' ? walPathOf(db) : undefined;
  // A WAL that cannot be opened (a platform or file system that refuses) leaves the old writer.
  const walFd = walPath === undefined ? undefined : openForSync(walPath);
  if (walPath !== undefined && walFd !== undefined) {
    // The WAL's directory entry must be durable too; SQLite's own FULL sync would see to it.
    try {
      const dirFd = openSync(dirname(walPath), 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch {
      // Some platforms cannot fsync a directory; SQLite ignores that too.
    }
  }
  const lowerSync = db.prepare('PRAGMA synchronous = NORMAL');
  const restoreSync = db.prepare(`PRAGMA synchronous = ${synchronous}`);

  const queue: Pending[] = [];
  let scheduled = false;
  let commits = 0;
  let syncs = 0;
  /** Committed batches waiting for an fsync, in commit order. */
  let awaiting: Committed[] = [];
  /** The last batch an fsync was started for (everything up to it is covered by one in flight or done). */
  let coveredUpTo = 0;
  let syncsInFlight = 0;
  let closed = false;
  const syncFile = options.fsync ?? fsync;
  let failure: RequestLogError | undefined;

  /** Fails the store for good if `error` is a damaged file; returns true then. */
  function checkFatal(error: unknown): boolean {
    if (failure !== undefined) return true;
    if (!isSqliteCorruption(error)) return false;
    failure = new RequestLogError('ERR_STORE_FAILED', `the database file is damaged: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    options.onFatalError?.(failure);
    return true;
  }

  function currentFailure(): RequestLogError | undefined {
    return failure;
  }

  function runEffect(item: Pending): string {
    const { request, effect } = item;
    effectSavepoint.run();
    try {
      const value: unknown = effect(db, request.payload, { clientId: request.clientId, seq: request.seq, now: item.options.now });
      if (isPromiseLike(value)) throw new RequestLogError('ERR_ASYNC_EFFECT');
      const body = successBody(value);
      effectRelease.run();
      return body;
    } catch (error) {
      effectRollback.run();
      effectRelease.run();
      // A damaged file is the store's failure, not the effect's: never record it as the outcome.
      if (isSqliteCorruption(error)) throw error;
      return failureBody(error);
    }
  }

  function processOne(item: Pending): ItemResult {
    const { request } = item;
    savepoint.run();
    try {
      const row = selectClient.get(request.clientId);
      const client: ClientRow | undefined = row === undefined ? undefined : { ack: row.ack, lastSeen: row.last_seen };
      const decision = decide(request, client, selectRecord.get(request.clientId, request.seq), item.options.maxInFlight);
      let outcome: StoreOutcome;
      switch (decision.kind) {
        case 'expired':
          release.run();
          return { ok: true, outcome: { kind: 'expired' } };
        case 'execute': {
          const reply = runEffect(item);
          insertRecord.run(request.clientId, request.seq, request.fingerprint, request.canonical, reply);
          outcome = { kind: 'fresh', reply };
          break;
        }
        default:
          outcome = outcomeWithoutEffect(decision);
          break;
      }
      upsertClient.run(request.clientId, decision.ack, item.options.now);
      if (decision.ack > (client?.ack ?? 0)) collect.run(request.clientId, decision.ack);
      release.run();
      return { ok: true, outcome };
    } catch (error) {
      rollbackTo.run();
      release.run();
      return { ok: false, error };
    }
  }

  function flush(): void {
    scheduled = false;
    const batch = queue.splice(0, maxBatch);
    if (queue.length > 0) schedule();
    if (batch.length === 0) return;
    // Requests queued before the store failed for good are refused too (read through a call:
    // `checkFatal` below may set it, which narrowing would not see).
    const failedBefore = currentFailure();
    if (failedBefore !== undefined) {
      for (const item of batch) item.reject(failedBefore);
      return;
    }
    let results: ItemResult[];
    // WAL frames only: the fsync runs on the thread pool (see the module comment). SQLite takes
    // the level at BEGIN and refuses a change inside a transaction, so it brackets the whole batch.
    const background = walFd !== undefined;
    try {
      if (background) lowerSync.run();
      try {
        begin.run();
        try {
          results = batch.map(processOne);
          commit.run();
          commits++;
        } catch (error) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw error;
        }
      } finally {
        if (background) restoreSync.run();
      }
    } catch (error) {
      const fatal = checkFatal(error);
      for (const item of batch) item.reject(fatal && failure !== undefined ? failure : unavailable(error, 'transaction failed, nothing committed'));
      return;
    }
    if (walFd === undefined) {
      settle({ gen: commits, batch, results });
      return;
    }
    awaiting.push({ gen: commits, batch, results });
    startSync(walFd);
  }

  /** Answers every request of a durable batch. */
  function settle({ batch, results }: Committed): void {
    batch.forEach((item, i) => {
      const result = results[i];
      if (result === undefined) return;
      if (result.ok) item.resolve(result.outcome);
      else item.reject(checkFatal(result.error) && failure !== undefined ? failure : unavailable(result.error, 'request rolled back'));
    });
  }

  /**
   * Starts an fsync covering every batch committed so far and not yet covered, unless
   * `maxSyncsInFlight` are running (each one that ends starts the next). An fsync makes durable
   * everything written to the file before it began, so the one that ends answers every batch
   * up to the last it covers, even those of an earlier fsync still running.
   */
  function startSync(fd: number): void {
    if (syncsInFlight >= maxSyncsInFlight || coveredUpTo >= commits || awaiting.length === 0) return;
    const upTo = commits;
    coveredUpTo = upTo;
    syncsInFlight++;
    syncFile(fd, (error) => {
      syncsInFlight--;
      if (error === null) {
        syncs++;
        let durable = 0;
        while (durable < awaiting.length && (awaiting[durable]?.gen ?? Infinity) <= upTo) durable++;
        const answered = awaiting.slice(0, durable);
        awaiting = awaiting.slice(durable);
        for (const committed of answered) settle(committed);
        startSync(fd);
        return;
      }
      // The kernel may have dropped the pages it failed to write: nothing since can be trusted.
      if (failure === undefined) {
        failure = new RequestLogError('ERR_STORE_FAILED', `fsync of the WAL failed: ${error.message}`, { cause: error });
        options.onFatalError?.(failure);
      }
      const lost = failure;
      const refused = awaiting;
      awaiting = [];
      for (const committed of refused) for (const item of committed.batch) item.reject(lost);
    });
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  }

  return {
    kind: 'sqlite',
    db,
    get commits() {
      return commits;
    },
    get syncs() {
      return syncs;
    },
    get failure() {
      return failure;
    },
    checkFatal,
    execute(request, effect, executeOptions) {
      if (closed) return Promise.reject(new RequestLogError('ERR_CLOSED', 'store is closed'));
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise<StoreOutcome>((resolve, reject) => {
        queue.push({ request, effect, options: executeOptions, resolve, reject });
        schedule();
      });
    },
    expire(before, unacknowledgedBefore = before) {
      const run = db.transaction((cutoff: number, unacknowledged: number) => {
        expireRecords.run(cutoff, unacknowledged);
        return expireClients.run(cutoff, unacknowledged).changes;
      });
      return Promise.resolve(run.immediate(before, unacknowledgedBefore));
    },
    counts() {
      return Promise.resolve({ clients: countClients.get()?.n ?? 0, records: countRecords.get()?.n ?? 0 });
    },
    async close() {
      if (closed) return;
      closed = true;
      while (queue.length > 0 || scheduled || syncsInFlight > 0 || awaiting.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (walFd !== undefined) closeSync(walFd);
      if (owned) db.close();
    },
  };
}
