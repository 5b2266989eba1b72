/**
 * SQLite writer benchmark (`pnpm bench sqlite-commit`, ~20 s): durable requests per second through
 * the request log on a SQLite store (WAL, synchronous=FULL), 64 concurrent in-process clients
 * (no sockets, so the store's share of the cost is large), each request a small ledger-like
 * effect (one balance update, one journal row). Three stores side by side in interleaved slices
 * (A B C A B C …): the default writer (group commit, the WAL fsynced on libuv's thread pool while
 * the event loop runs the next batch), `syncInBackground: false` (group commit, fsync inside
 * COMMIT on the event loop) and `groupCommit: false` (one transaction and one fsync per request).
 * Also prints the event loop's utilization during each variant's slices: the share of wall time
 * the loop was busy (an fsync inside COMMIT counts as busy; one on the thread pool does not).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequestLog } from '@netlab/request-log';
import { type SqliteEffect, type SqliteStoreOptions, createSqliteStore } from '@netlab/request-log/sqlite';
import { figure, fmt, sliceRatios, spreadOf, table, verdictSpread } from './harness.js';

const CLIENTS = 64;
const SLICES = Number(process.env.NETLAB_BENCH_SLICES ?? 7);
const SLICE_MS = 700;
const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-sqlite-'));
process.on('exit', () => {
  rmSync(dir, { recursive: true, force: true });
});

interface Variant {
  readonly label: string;
  run(ms: number): Promise<number>;
  readonly rates: number[];
  readonly utilization: number[];
  close(): Promise<void>;
}

function open(name: string, label: string, options: Partial<SqliteStoreOptions>): Variant {
  const store = createSqliteStore({ database: join(dir, `${name}.db`), ...options });
  store.db.exec(`
    CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);
    CREATE TABLE journal (id INTEGER PRIMARY KEY, client TEXT NOT NULL, seq INTEGER NOT NULL, amount INTEGER NOT NULL);
  `);
  const insertAccount = store.db.prepare<[number]>('INSERT INTO accounts (id, balance) VALUES (?, 1000000000)');
  store.db.transaction(() => {
    for (let i = 0; i < CLIENTS; i++) insertAccount.run(i);
  })();
  const update = store.db.prepare<[number, number]>('UPDATE accounts SET balance = balance - ? WHERE id = ?');
  const append = store.db.prepare<[string, number, number]>('INSERT INTO journal (client, seq, amount) VALUES (?, ?, ?)');
  const effects: SqliteEffect[] = Array.from({ length: CLIENTS }, (_, account) => (_db, _payload, context) => {
    update.run(1, account);
    append.run(context.clientId, context.seq, 1);
    return null;
  });
  const log = createRequestLog({ store, sweepIntervalMs: 0 });
  const seqs = Array.from({ length: CLIENTS }, () => 0);
  return {
    label,
    rates: [],
    utilization: [],
    async run(ms) {
      let count = 0;
      const deadline = performance.now() + ms;
      await Promise.all(
        seqs.map(async (_, client) => {
          const effect = effects[client];
          if (effect === undefined) return;
          while (performance.now() < deadline) {
            const seq = (seqs[client] ?? 0) + 1;
            seqs[client] = seq;
            const reply = await log.execute({ kind: 'request', clientId: `c${String(client)}`, seq, ack: seq - 1, payload: { amount: 1 } }, effect);
            if (reply.status !== 'done') throw new Error(`request failed: ${reply.code}`);
            count++;
          }
        }),
      );
      return count;
    },
    close: () => log.close(),
  };
}

const variants = [
  open('background', 'group commit, fsync on the thread pool (default)', {}),
  open('inline', 'group commit, fsync on the event loop (syncInBackground: false)', { syncInBackground: false }),
  open('single', 'one transaction per request (groupCommit: false)', { groupCommit: false }),
];
for (const variant of variants) await variant.run(300);
for (let i = 0; i < SLICES; i++) {
  for (const variant of variants) {
    const started = performance.now();
    const elu = performance.eventLoopUtilization();
    const count = await variant.run(SLICE_MS);
    variant.utilization.push(performance.eventLoopUtilization(elu).utilization);
    variant.rates.push((count * 1000) / (performance.now() - started));
  }
}
for (const variant of variants) await variant.close();

const [background, inline, single] = variants;
if (background === undefined || inline === undefined || single === undefined) throw new Error('variants');
table(
  `SQLite store (WAL, synchronous=FULL), ${String(CLIENTS)} in-process clients, ${String(SLICES)} interleaved ${String(SLICE_MS)} ms slices each`,
  ['writer', 'durable requests/s (median, range)', 'event loop busy (median)'],
  variants.map((variant) => {
    const rate = spreadOf(variant.rates);
    return [variant.label, `${fmt(rate.median)} (${fmt(rate.min)}–${fmt(rate.max)})`, `${(spreadOf(variant.utilization).median * 100).toFixed(0)}%`];
  }),
);
const vsInline = sliceRatios(background.rates, inline.rates);
const vsSingle = sliceRatios(background.rates, single.rates);
console.log(`\nbackground fsync vs fsync on the event loop:   ${verdictSpread(vsInline, 1)}`);
console.log(`background fsync vs one transaction per request: ${verdictSpread(vsSingle, 8)}`);
figure('sqlite store durable requests/s, 64 clients, background fsync', spreadOf(background.rates), '1/s');
figure('sqlite store durable requests/s, 64 clients, fsync on the event loop', spreadOf(inline.rates), '1/s');
figure('sqlite store durable requests/s, 64 clients, one tx per request', spreadOf(single.rates), '1/s');
figure('sqlite store requests/s, background fsync / fsync on the event loop', vsInline, 'ratio');
figure('sqlite store requests/s, background fsync / one tx per request', vsSingle, 'ratio', '>= 8');
figure('sqlite store event loop utilization, background fsync', spreadOf(background.utilization), 'share');
figure('sqlite store event loop utilization, fsync on the event loop', spreadOf(inline.utilization), 'share');
