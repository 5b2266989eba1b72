import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type RequestLogError, createRequestLog } from '../../src/index.js';
import { type SqliteEffect, type SqliteStore, createSqliteStore } from '../../src/sqlite/index.js';
import { type StoreHandle, describeStoreConformance } from '@netlab/testing/compliance';
import { codeOf, request } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'netlab-request-log-'));
let files = 0;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

type SqliteHandle = StoreHandle<SqliteEffect> & { readonly store: SqliteStore };

function open(path = join(dir, `db-${++files}.sqlite`)): Promise<SqliteHandle> {
  const store = createSqliteStore({ database: path });
  store.db.exec('CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL)');
  const add =
    (account: string, amount: number): SqliteEffect =>
    (db) =>
      db
        .prepare<[string, number], { balance: number }>(
          'INSERT INTO accounts (id, balance) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET balance = balance + excluded.balance RETURNING balance',
        )
        .get(account, amount)?.balance ?? null;
  return Promise.resolve({
    store,
    createLog: (options) => createRequestLog({ ...options, store }),
    add,
    addThenThrow: (account, amount) => (db, payload, context) => {
      add(account, amount)(db, payload, context);
      throw new Error('boom');
    },
    balance: (account) =>
      Promise.resolve(store.db.prepare<[string], { balance: number }>('SELECT balance FROM accounts WHERE id = ?').get(account)?.balance ?? 0),
    async reopen(): Promise<SqliteHandle> {
      // A crash loses the process, not the file: close without waiting, open the same path.
      store.db.close();
      return open(path);
    },
    close: () => store.close(),
  });
}

describeStoreConformance<SqliteEffect>({ name: 'SQLite', open: () => open() });

describe('SQLite store', () => {
  it('fails for good on a damaged file: never records the damage as the outcome, reports it once, refuses what follows', async () => {
    const path = join(dir, `corrupt-${++files}.sqlite`);
    const failures: RequestLogError[] = [];
    const store = createSqliteStore({ database: path, onFatalError: (error) => failures.push(error) });
    store.db.exec('CREATE TABLE big (k INTEGER PRIMARY KEY, v TEXT)');
    const insert = store.db.prepare('INSERT INTO big (v) VALUES (?)');
    store.db.transaction(() => {
      for (let i = 0; i < 500; i++) insert.run('x'.repeat(200));
    })();
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const root = store.db.prepare<[], { rootpage: number }>(`SELECT rootpage FROM sqlite_schema WHERE name = 'big'`).get()?.rootpage ?? 0;
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, 4096 * (root - 1));
    closeSync(fd);
    // Another connection's write makes the store's connection drop its page cache.
    const other = new Database(path);
    other.exec('CREATE TABLE poke (x)');
    other.close();
    const log = createRequestLog({ store, sweepIntervalMs: 0 });
    const reads: SqliteEffect = (db) => db.prepare<[], { n: number }>('SELECT count(*) AS n FROM big').get()?.n ?? 0;
    const reply = await log.execute(request('c1', 1, 0, { n: 1 }), reads);
    expect(reply).toMatchObject({ status: 'error', code: 'ERR_UNAVAILABLE' });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ code: 'ERR_STORE_FAILED' });
    expect(store.failure?.message).toMatch(/damaged: database disk image is malformed/);
    const later = await log.execute(request('c1', 2, 0, { n: 2 }), () => 1);
    expect(later).toMatchObject({ status: 'error', code: 'ERR_UNAVAILABLE' });
    expect(later.status === 'error' && later.message).toMatch(/damaged/);
    expect(failures).toHaveLength(1);
    // Nothing was recorded for the first request: no ERR_EFFECT_FAILED outcome "database disk image is malformed".
    expect(store.db.prepare(`SELECT count(*) AS n FROM request_log_records`).get()).toEqual({ n: 0 });
    store.db.close();
  });

  it('uses WAL and synchronous=FULL by default', async () => {
    const h = await open();
    expect(h.store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(h.store.db.pragma('synchronous', { simple: true })).toBe(2);
    await h.close();
  });

  it('commits concurrent requests from 64 clients in one transaction (group commit)', async () => {
    const h = await open();
    const log = createRequestLog({ store: h.store });
    const replies = await Promise.all(Array.from({ length: 64 }, (_, c) => log.execute(request(`c${c}`, 1, 0, {}), h.add('pool', 1))));
    expect(replies.every((reply) => reply.status === 'done')).toBe(true);
    expect(h.store.commits).toBe(1);
    expect(await h.balance('pool')).toBe(64);
    await h.close();
  });

  it('commits one transaction per request when group commit is off', async () => {
    const store = createSqliteStore({ database: join(dir, `db-${++files}.sqlite`), groupCommit: false });
    const log = createRequestLog({ store });
    await Promise.all(Array.from({ length: 8 }, (_, c) => log.execute(request(`c${c}`, 1, 0, {}), () => null)));
    expect(store.commits).toBe(8);
    await store.close();
  });

  it('keeps the other requests of a batch when one effect throws', async () => {
    const h = await open();
    const log = createRequestLog({ store: h.store });
    const [good, bad, other] = await Promise.all([
      log.execute(request('c1', 1, 0, {}), h.add('a', 1)),
      log.execute(request('c2', 1, 0, {}), h.addThenThrow('a', 100)),
      log.execute(request('c3', 1, 0, {}), h.add('a', 10)),
    ]);
    expect([codeOf(good), codeOf(other)]).toEqual(['done', 'done']);
    expect(bad.status === 'done' && bad.body).toContain('ERR_EFFECT_FAILED');
    expect(h.store.commits).toBe(1);
    expect(await h.balance('a')).toBe(11);
    await h.close();
  });

  it('answers ERR_UNAVAILABLE and records nothing when a request cannot be recorded, sparing the batch', async () => {
    const h = await open();
    const log = createRequestLog({ store: h.store });
    // An effect that breaks the bookkeeping (drops the records table) makes its INSERT fail after the effect ran.
    const replies = await Promise.all([
      log.execute(request('c1', 1, 0, {}), h.add('a', 1)),
      log.execute(request('c2', 1, 0, {}), (db) => {
        db.exec('ALTER TABLE request_log_records RENAME TO broken');
        return null;
      }),
    ]);
    expect(codeOf(replies[0])).toBe('done');
    expect(codeOf(replies[1])).toBe('ERR_UNAVAILABLE');
    expect(await h.balance('a')).toBe(1);
    await h.close();
  });

  it('shares a database handle with the application', async () => {
    const db = new Database(':memory:');
    const store = createSqliteStore({ database: db });
    await store.close();
    expect(db.open).toBe(true);
    db.close();
  });
});
