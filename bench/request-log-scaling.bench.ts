/**
 * Request-log scaling tables (`pnpm bench request-log-scaling`, ~2–4 min):
 * 1. throughput and p99 latency at 1, 8, 64 and 512 concurrent clients on each store (memory;
 *    SQLite durable: WAL, synchronous=FULL, group commit; PostgreSQL when NETLAB_PG_URL is set),
 *    the full server path in-process (decode the request frame, execute, encode the reply); the
 *    client counts run in interleaved slices (1, 8, 64, 512, 1, 8, …), each figure is the median
 *    over the slices with its range;
 * 2. records kept after 10⁶ requests (memory; SQLite and PostgreSQL as many as fit in a time
 *    budget, the count is printed): 1,000 clients whose acknowledgements lag their requests by
 *    1–8, so the watermark rule must keep at most clients × maxInFlight records (and, with the lag,
 *    at most clients × 8).
 * Clients call the log in-process (no sockets): the figures are the log's and the store's cost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type MemoryEffect,
  type RequestEnvelope,
  type RequestLog,
  type RequestLogStore,
  createClientStreamCodec,
  createMemoryStore,
  createRequestLog,
  createServerStreamCodec,
} from '@netlab/request-log';
import { type PostgresEffect, createPostgresStore } from '@netlab/request-log/postgres';
import { type SqliteEffect, createSqliteStore } from '@netlab/request-log/sqlite';
import { figure, fmt, spreadOf, table } from './harness.js';

const SLICE_MS = Number(process.env.NETLAB_BENCH_SLICE_MS ?? 400);
const SLICES = Math.max(5, Number(process.env.NETLAB_BENCH_SLICES ?? 5));
const CLIENTS = [1, 8, 64, 512] as const;
const MAX_IN_FLIGHT = 32;
/** Requests for the records-kept run, and the time budget for the durable stores. */
const GC_REQUESTS = Number(process.env.NETLAB_BENCH_GC_REQUESTS ?? 1_000_000);
const GC_BUDGET_MS = Number(process.env.NETLAB_BENCH_GC_MS ?? 40_000);
const GC_CLIENTS = 1_000;

const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-rls-'));
process.on('exit', () => {
  rmSync(dir, { recursive: true, force: true });
});

const clientCodec = createClientStreamCodec();
const serverCodec = createServerStreamCodec();
function decodeOne(bytes: Uint8Array): RequestEnvelope {
  const [request] = serverCodec.createDecoder().push(bytes);
  if (request === undefined) throw new Error('no request decoded');
  return request;
}

interface Target<E> {
  readonly name: string;
  readonly log: RequestLog<E>;
  readonly effect: E;
  readonly store: RequestLogStore<E>;
  /** A fresh client id space per run (ids never repeat across slices). */
  prefix: number;
}

/** One slice: `clients` closed loops for SLICE_MS; returns ops/s and the p99 latency (µs). */
async function slice<E>(target: Target<E>, clients: number): Promise<{ rate: number; p99: number }> {
  const run = target.prefix++;
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + SLICE_MS;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      const clientId = `s${run}-${client}`;
      for (let seq = 1; performance.now() < deadline; seq++) {
        const t0 = performance.now();
        const bytes = clientCodec.encode({ kind: 'request', clientId, seq, ack: seq - 1, payload: { op: 'withdraw', account: `a${client % 16}`, amount: 5 } });
        serverCodec.encode(await target.log.execute(decodeOne(bytes), target.effect));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return { rate: (latencies.length * 1000) / elapsed, p99: (latencies[Math.floor(latencies.length * 0.99)] ?? Number.NaN) * 1000 };
}

async function scaling<E>(target: Target<E>): Promise<string[][]> {
  const rates = new Map<number, number[]>(CLIENTS.map((c) => [c, []]));
  const p99s = new Map<number, number[]>(CLIENTS.map((c) => [c, []]));
  for (let i = 0; i < SLICES; i++) {
    for (const clients of CLIENTS) {
      const { rate, p99 } = await slice(target, clients);
      rates.get(clients)?.push(rate);
      p99s.get(clients)?.push(p99);
    }
  }
  return CLIENTS.map((clients) => {
    const r = spreadOf(rates.get(clients) ?? []);
    const p = spreadOf(p99s.get(clients) ?? []);
    figure(`request-log ${target.name} ${clients} clients ops/s`, r, 'ops/s');
    figure(`request-log ${target.name} ${clients} clients p99`, p, 'µs');
    const ms = (us: number): string => (us / 1000).toFixed(us < 10_000 ? 2 : 1);
    return [target.name, String(clients), `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})`, `${ms(p.median)} (${ms(p.min)}–${ms(p.max)})`];
  });
}

/**
 * GC_CLIENTS clients, 64 at a time, send until `total` requests or the budget; client c's ack
 * trails its seq by 1 + (c mod 8). Returns the requests sent, the records and clients kept.
 */
async function recordsKept<E>(target: Target<E>, total: number, budgetMs: number): Promise<string[]> {
  const seqs = new Array<number>(GC_CLIENTS).fill(0);
  const deadline = performance.now() + budgetMs;
  const started = performance.now();
  let sent = 0;
  let maxRecords = 0;
  const lanes = 64;
  await Promise.all(
    // Each client belongs to one lane, so its requests go one at a time, as a real client's.
    Array.from({ length: lanes }, async (_, lane) => {
      const mine = Array.from({ length: Math.ceil((GC_CLIENTS - lane) / lanes) }, (_, j) => lane + j * lanes);
      for (let k = 0; sent < total && performance.now() < deadline; k++) {
        const client = mine[k % mine.length] ?? lane;
        const seq = (seqs[client] ?? 0) + 1;
        seqs[client] = seq;
        const ack = Math.max(0, seq - 1 - (client % 8));
        sent++;
        await target.log.execute(
          decodeOne(clientCodec.encode({ kind: 'request', clientId: `gc-${client}`, seq, ack, payload: { op: 'withdraw', account: `a${client % 16}`, amount: 1 } })),
          target.effect,
        );
        if (sent % 100_000 === 0) maxRecords = Math.max(maxRecords, (await target.store.counts()).records);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const counts = await target.store.counts();
  maxRecords = Math.max(maxRecords, counts.records);
  const bound = GC_CLIENTS * 8;
  figure(`request-log ${target.name} records kept after ${sent} requests`, counts.records, 'records', `≤ ${bound} (clients × ack lag); ≤ ${GC_CLIENTS * MAX_IN_FLIGHT} (clients × maxInFlight)`);
  const memory = target.name === 'memory' ? `${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB heap` : '';
  return [
    target.name,
    fmt(sent),
    seconds.toFixed(1),
    String(counts.clients),
    String(counts.records),
    String(maxRecords),
    `≤ ${bound} ${maxRecords <= bound ? 'held' : 'BROKEN'}`,
    memory,
  ];
}

const withdrawMemory: MemoryEffect = (tx, payload) => {
  const { account, amount } = payload as { account: string; amount: number };
  const balance = tx.get(account);
  const next = (typeof balance === 'number' ? balance : 1e12) - amount;
  tx.set(account, next);
  return { balance: next };
};

function sqliteTarget(file: string): Target<SqliteEffect> {
  const store = createSqliteStore({ database: join(dir, file), groupCommit: true });
  store.db.exec('CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL)');
  const insert = store.db.prepare<[string]>('INSERT OR IGNORE INTO accounts VALUES (?, 1000000000000)');
  for (let i = 0; i < 16; i++) insert.run(`a${i}`);
  const update = store.db.prepare<[number, string], { balance: number }>('UPDATE accounts SET balance = balance - ? WHERE id = ? RETURNING balance');
  const effect: SqliteEffect = (_db, payload) => {
    const { account, amount } = payload as { account: string; amount: number };
    return { balance: update.get(amount, account)?.balance ?? null };
  };
  return { name: 'SQLite FULL', store, effect, log: createRequestLog({ store, maxInFlight: MAX_IN_FLIGHT, sweepIntervalMs: 0 }), prefix: 0 };
}

console.log(`request-log scaling, ${SLICES} interleaved slices of ${SLICE_MS} ms per cell, ${new Date().toISOString()}`);
const scalingRows: string[][] = [];
const gcRows: string[][] = [];
{
  const store = createMemoryStore();
  const target: Target<MemoryEffect> = { name: 'memory', store, effect: withdrawMemory, log: createRequestLog({ store, maxInFlight: MAX_IN_FLIGHT, sweepIntervalMs: 0 }), prefix: 0 };
  scalingRows.push(...(await scaling(target)));
  const gcStore = createMemoryStore();
  gcRows.push(await recordsKept({ ...target, store: gcStore, log: createRequestLog({ store: gcStore, maxInFlight: MAX_IN_FLIGHT, sweepIntervalMs: 0 }) }, GC_REQUESTS, Number.POSITIVE_INFINITY));
}
{
  const target = sqliteTarget('scaling.sqlite');
  scalingRows.push(...(await scaling(target)));
  await target.log.close();
  const gc = sqliteTarget('gc.sqlite');
  gcRows.push(await recordsKept(gc, GC_REQUESTS, GC_BUDGET_MS));
  await gc.log.close();
}
const url = process.env.NETLAB_PG_URL;
if (url !== undefined && url !== '') {
  const schema = `rl_scale_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
  const store = await createPostgresStore({ pool: url, schema });
  store.pool.options.max = 32;
  try {
    await store.pool.query(`CREATE TABLE ${schema}.accounts (id text PRIMARY KEY, balance bigint NOT NULL)`);
    await store.pool.query(`INSERT INTO ${schema}.accounts SELECT 'a' || g, 1000000000000 FROM generate_series(0, 15) g`);
    const update = `UPDATE ${schema}.accounts SET balance = balance - $1 WHERE id = $2 RETURNING balance`;
    const effect: PostgresEffect = async (client, payload) => {
      const { account, amount } = payload as { account: string; amount: number };
      const result = await client.query<{ balance: string }>(update, [amount, account]);
      return { balance: Number(result.rows[0]?.balance) };
    };
    const target: Target<PostgresEffect> = { name: 'PostgreSQL', store, effect, log: createRequestLog({ store, maxInFlight: MAX_IN_FLIGHT, sweepIntervalMs: 0 }), prefix: 0 };
    scalingRows.push(...(await scaling(target)));
    await store.pool.query(`TRUNCATE ${store.tables.clients}, ${store.tables.records}`);
    gcRows.push(await recordsKept(target, GC_REQUESTS, GC_BUDGET_MS));
  } finally {
    await store.pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await store.close();
  }
} else {
  console.log('PostgreSQL: skipped (set NETLAB_PG_URL)');
}
table('Throughput and p99 by concurrent clients (median, range over the slices)', ['store', 'clients', 'ops/s', 'p99 ms'], scalingRows);
table(
  `Records kept after the run (${GC_CLIENTS} clients, ack lag 1–8, maxInFlight ${MAX_IN_FLIGHT}; durable stores stop at ${GC_BUDGET_MS / 1000} s)`,
  ['store', 'requests', 's', 'clients', 'records', 'max seen', 'bound', 'memory'],
  gcRows,
);
