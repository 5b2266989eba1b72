import { fsync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ReplyEnvelope, type RequestLogError, createRequestLog } from '../../src/index.js';
import { type SqliteEffect, type SqliteStore, type SqliteStoreOptions, createSqliteStore } from '../../src/sqlite/index.js';
import { codeOf, request, valueOf } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'netlab-request-log-bg-'));
let files = 0;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

type Done = (error: NodeJS.ErrnoException | null) => void;

/** An fsync the test completes by hand: `release()` runs the real fsync of the oldest call held. */
function heldFsync(): { readonly fsync: NonNullable<SqliteStoreOptions['fsync']>; readonly held: () => number; release(error?: NodeJS.ErrnoException, which?: 'oldest' | 'newest'): Promise<void>; started(): Promise<void> } {
  const calls: { fd: number; done: Done }[] = [];
  let waiter: (() => void) | undefined;
  return {
    fsync(fd, done) {
      calls.push({ fd, done });
      waiter?.();
      waiter = undefined;
    },
    held: () => calls.length,
    started: () =>
      calls.length > 0
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => {
              reject(new Error('no fsync started within 5 s'));
            }, 5_000);
            waiter = () => {
              clearTimeout(timer);
              resolve();
            };
          }),
    release(error, which = 'oldest') {
      const call = which === 'oldest' ? calls.shift() : calls.pop();
      if (call === undefined) throw new Error('no fsync is held');
      if (error !== undefined) {
        call.done(error);
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        fsync(call.fd, (result) => {
          call.done(result);
          resolve();
        });
      });
    },
  };
}

function openStore(options: Partial<SqliteStoreOptions> = {}): SqliteStore {
  const store = createSqliteStore({ database: join(dir, `db-${++files}.sqlite`), ...options });
  store.db.exec('CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL)');
  return store;
}

const add =
  (account: string, amount: number): SqliteEffect =>
  (db) =>
    db
      .prepare<[string, number], { balance: number }>(
        'INSERT INTO accounts (id, balance) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET balance = balance + excluded.balance RETURNING balance',
      )
      .get(account, amount)?.balance ?? null;

/** Resolves on the next turn of the event loop, after pending `setImmediate` work (a batch's flush). */
const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });

describe('SQLite store, fsync in the background', () => {
  it('answers a batch only after an fsync that started after its COMMIT has completed', async () => {
    const sync = heldFsync();
    const store = openStore({ fsync: sync.fsync });
    const log = createRequestLog({ store, sweepIntervalMs: 0 });
    const answered: ReplyEnvelope[] = [];
    const replies = Array.from({ length: 16 }, (_, c) => log.execute(request(`c${c}`, 1, 0, {}), add('pool', 1)).then((reply) => answered.push(reply)));
    await sync.started();
    expect(store.commits).toBe(1);
    // Committed and visible to the next batch, but not answered: its fsync is still running.
    expect(store.db.prepare('SELECT balance FROM accounts WHERE id = ?').get('pool')).toEqual({ balance: 16 });
    await nextTurn();
    expect(answered).toHaveLength(0);
    await sync.release();
    await Promise.all(replies);
    expect(answered.map(codeOf)).toEqual(Array.from({ length: 16 }, () => 'done'));
    expect(store.syncs).toBe(1);
    await store.close();
  });

  it('commits the next batch while an fsync is in flight and covers it with the next fsync', async () => {
    const sync = heldFsync();
    const store = openStore({ fsync: sync.fsync, maxSyncsInFlight: 1 });
    const log = createRequestLog({ store, sweepIntervalMs: 0 });
    const first = log.execute(request('a', 1, 0, {}), add('pool', 1));
    await sync.started();
    let secondDone = false;
    const second = log.execute(request('b', 1, 0, {}), add('pool', 10)).then((reply) => {
      secondDone = true;
      return reply;
    });
    await nextTurn();
    // The second batch is committed (it read the first's state) while the first's fsync still runs.
    expect(store.commits).toBe(2);
    expect(sync.held()).toBe(1);
    await sync.release();
    expect(valueOf(await first)).toBe(1);
    expect(secondDone).toBe(false);
    // The first fsync did not cover the second batch: a new one starts for it.
    expect(sync.held()).toBe(1);
    await sync.release();
    expect(valueOf(await second)).toBe(11);
    expect(store.syncs).toBe(2);
    await store.close();
  });

  it('with maxSyncsInFlight 2, starts a second fsync at once, and the one that ends first answers every batch it covers', async () => {
    const sync = heldFsync();
    const store = openStore({ fsync: sync.fsync, maxSyncsInFlight: 2 });
    const log = createRequestLog({ store, sweepIntervalMs: 0 });
    const first = log.execute(request('a', 1, 0, {}), add('pool', 1));
    await sync.started();
    const second = log.execute(request('b', 1, 0, {}), add('pool', 10));
    await nextTurn();
    expect(store.commits).toBe(2);
    expect(sync.held()).toBe(2);
    // The second fsync began after both COMMITs: its end makes both durable.
    await sync.release(undefined, 'newest');
    expect(valueOf(await first)).toBe(1);
    expect(valueOf(await second)).toBe(11);
    await sync.release();
    expect(store.syncs).toBe(2);
    await store.close();
  });

  it('replays a duplicate that arrives while its original waits for its fsync, answering both only after it', async () => {
    const sync = heldFsync();
    const store = openStore({ fsync: sync.fsync });
    const log = createRequestLog({ store, sweepIntervalMs: 0 });
    const original = log.execute(request('c1', 1, 0, { n: 1 }), add('a', 5));
    await sync.started();
    const duplicate = log.execute(request('c1', 1, 0, { n: 1 }), add('a', 5));
    await nextTurn();
    await sync.release();
    const first = await original;
    // The duplicate waited for the original, then asked the store: its batch needs an fsync too.
    await sync.started();
    await sync.release();
    const again = await duplicate;
    expect(again.status === 'done' && again.replay).toBe(true);
    expect(again.status === 'done' && first.status === 'done' && again.body === first.body).toBe(true);
    expect(store.db.prepare('SELECT balance FROM accounts WHERE id = ?').get('a')).toEqual({ balance: 5 });
    await store.close();
  });

  it('fails for good when the fsync fails: the waiting requests are refused, onFatalError is called once, nothing later runs', async () => {
    const sync = heldFsync();
    const failures: RequestLogError[] = [];
    const store = openStore({ fsync: sync.fsync, onFatalError: (error) => failures.push(error) });
    const log = createRequestLog({ store, sweepIntervalMs: 0 });
    const first = log.execute(request('c1', 1, 0, {}), add('a', 1));
    await sync.started();
    const second = log.execute(request('c2', 1, 0, {}), add('a', 1));
    await nextTurn();
    await sync.release(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }));
    expect(codeOf(await first)).toBe('ERR_UNAVAILABLE');
    expect(codeOf(await second)).toBe('ERR_UNAVAILABLE');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ code: 'ERR_STORE_FAILED' });
    expect(store.failure?.message).toMatch(/fsync of the WAL failed: EIO/);
    const later = await log.execute(request('c3', 1, 0, {}), add('a', 1));
    expect(codeOf(later)).toBe('ERR_UNAVAILABLE');
    expect(sync.held()).toBe(0);
    expect(failures).toHaveLength(1);
    await store.close();
  });

  it('keeps synchronous=FULL on the handle between batches, for the application\'s own writes', async () => {
    const store = openStore();
    const log = createRequestLog({ store, sweepIntervalMs: 0 });
    await Promise.all(Array.from({ length: 8 }, (_, c) => log.execute(request(`c${c}`, 1, 0, {}), add('pool', 1))));
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(store.syncs).toBeGreaterThanOrEqual(1);
    await store.close();
  });

  it('fsyncs inside COMMIT with syncInBackground off, with group commit off, and not at all in memory', async () => {
    for (const options of [{ syncInBackground: false }, { groupCommit: false }, { database: ':memory:' }] satisfies Partial<SqliteStoreOptions>[]) {
      const store = openStore(options);
      const log = createRequestLog({ store, sweepIntervalMs: 0 });
      const replies = await Promise.all(Array.from({ length: 4 }, (_, c) => log.execute(request(`c${c}`, 1, 0, {}), add('pool', 1))));
      expect(replies.map(codeOf)).toEqual(['done', 'done', 'done', 'done']);
      expect(store.syncs).toBe(0);
      await store.close();
    }
  });

  it('waits for the fsync in flight before it closes, then keeps what it answered across a reopen', async () => {
    const path = join(dir, `db-${++files}.sqlite`);
    const store = createSqliteStore({ database: path });
    store.db.exec('CREATE TABLE accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL)');
    const log = createRequestLog({ store, sweepIntervalMs: 0 });
    const replies = Array.from({ length: 32 }, (_, c) => log.execute(request(`c${c}`, 1, 0, {}), add('pool', 1)));
    await nextTurn();
    await store.close();
    expect((await Promise.all(replies)).map(codeOf).every((code) => code === 'done')).toBe(true);
    const reopened = createSqliteStore({ database: path });
    expect(reopened.db.prepare('SELECT balance FROM accounts WHERE id = ?').get('pool')).toEqual({ balance: 32 });
    expect(await reopened.counts()).toEqual({ clients: 32, records: 32 });
    await reopened.close();
  });
});
