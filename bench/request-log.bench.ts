/**
 * Request-log benchmarks (standalone: `node --import tsx bench/request-log.bench.ts`, ~40 s).
 * Every figure is compared with a baseline measured in the same run:
 * 1. exactly-once overhead over the bare effect, per store, one client, the full server path
 *    (decode the request frame, run, encode the reply frame); on memory also the log as it was
 *    before the issue-16 hot-path work (bench/baseline/request-log-before.ts), in the same slices;
 * 2. SQLite, durable (WAL, synchronous=FULL), 64 concurrent clients: group commit against one
 *    transaction per request;
 * 3. PostgreSQL (NETLAB_PG_URL; skipped when unset) at 1 and 16 clients against a bare
 *    one-statement transaction doing the same update, both autocommitted (one round trip) and
 *    as an explicit BEGIN/UPDATE/COMMIT (what the application would run without the log).
 * Clients call the request log in-process (no sockets), so the figures are the log's and the
 * store's cost, not the transport's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type JsonValue,
  type MemoryEffect,
  type RequestEnvelope,
  type RequestLog,
  createClientStreamCodec,
  createMemoryStore,
  createRequestLog,
  createServerStreamCodec,
} from '@netlab/request-log';
import { type PostgresEffect, createPostgresStore } from '@netlab/request-log/postgres';
import { type SqliteEffect, createSqliteStore } from '@netlab/request-log/sqlite';
import { createMemoryStoreBefore, createRequestLogBefore } from './baseline/request-log-before.js';
import { type Spread, figure, fmt, interleavedRates, sliceRatios, spreadOf, table, verdict } from './harness.js';

const DURATION_MS = Number(process.env.NETLAB_BENCH_MS ?? 3_000);
const dir = mkdtempSync(join(tmpdir(), 'netlab-bench-rl-'));
process.on('exit', () => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `clients` loops of `op(client, i)` for `ms`; returns the count (i continues from `from`). */
async function burst(clients: number, ms: number, from: number[], op: (client: number, i: number) => Promise<unknown>): Promise<number> {
  let count = 0;
  const deadline = performance.now() + ms;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < deadline) {
        from[client] = (from[client] ?? 0) + 1;
        await op(client, from[client]);
        count++;
      }
    }),
  );
  return count;
}

interface Variant {
  readonly clients: number;
  readonly op: (client: number, i: number) => Promise<unknown>;
}

/**
 * Measures variants in alternating slices (A B C A B C ...) for DURATION_MS each in total, so
 * that load from other processes on a shared machine hits every variant alike; returns ops/s.
 */
async function interleaved(variants: readonly Variant[], rounds = 6): Promise<number[]> {
  const counts = variants.map(() => 0);
  const times = variants.map(() => 0);
  const seqs = variants.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (const [k, variant] of variants.entries()) {
      const started = performance.now();
      counts[k] = (counts[k] ?? 0) + (await burst(variant.clients, DURATION_MS / rounds, seqs[k] ?? [], variant.op));
      times[k] = (times[k] ?? 0) + performance.now() - started;
    }
  }
  return counts.map((count, k) => (count * 1000) / (times[k] ?? 1));
}

const clientCodec = createClientStreamCodec();
const serverCodec = createServerStreamCodec();
const encodeRequest = (client: number, seq: number): Uint8Array =>
  clientCodec.encode({ kind: 'request', clientId: `bench-${client}`, seq, ack: seq - 1, payload: { op: 'withdraw', account: 'a1', amount: 5 } });
function decodeOne(bytes: Uint8Array): RequestEnvelope {
  const [request] = serverCodec.createDecoder().push(bytes);
  if (request === undefined) throw new Error('no request decoded');
  return request;
}

// ---- 1. memory ----
/**
 * Bare effect, the request log as it was before the issue-16 hot-path work (bench/baseline) and
 * as it is now, in interleaved slices (bare, before, after, bare, …); the overhead is taken per
 * slice, `bare / logged − 1`, and reported as the median and range over the slices.
 */
async function memory(): Promise<string[][]> {
  const withdraw: MemoryEffect = (tx, payload) => {
    const { account, amount } = payload as { account: string; amount: number };
    const balance = tx.get(account);
    const next = (typeof balance === 'number' ? balance : 1e12) - amount;
    tx.set(account, next);
    return { balance: next };
  };
  const data = new Map<string, JsonValue>();
  const before = createRequestLogBefore({ store: createMemoryStoreBefore(), maxInFlight: 64 });
  const after = createRequestLog({ store: createMemoryStore(), maxInFlight: 64 });
  const slices = Number(process.env.NETLAB_BENCH_SLICES ?? 9);
  const seqs: number[][] = [[], [], []];
  const sliceMs = (DURATION_MS * 2) / slices;
  const rate = async (k: number, op: (client: number, i: number) => Promise<unknown>): Promise<number> => {
    const started = performance.now();
    const count = await burst(1, sliceMs, seqs[k] ?? [], op);
    return (count * 1000) / (performance.now() - started);
  };
  const rates = await interleavedRates({
    bare: () =>
      rate(0, async (client, i) => {
        const request = decodeOne(encodeRequest(client, i));
        const { account, amount } = request.payload as { account: string; amount: number };
        const balance = data.get(account);
        const next = (typeof balance === 'number' ? balance : 1e12) - amount;
        data.set(account, next);
        await Promise.resolve();
        return serverCodec.encode({ kind: 'reply', clientId: request.clientId, seq: request.seq, status: 'done', replay: false, body: JSON.stringify({ ok: true, value: { balance: next } }) });
      }),
    before: () => rate(1, async (client, i) => serverCodec.encode(await before.execute(decodeOne(encodeRequest(client, i)), withdraw))),
    after: () => rate(2, async (client, i) => serverCodec.encode(await after.execute(decodeOne(encodeRequest(client, i)), withdraw))),
  }, slices);
  const overhead = (logged: readonly number[]): Spread => {
    const r = sliceRatios(rates.bare, logged);
    return { median: (r.median - 1) * 100, min: (r.min - 1) * 100, max: (r.max - 1) * 100, slices: r.slices };
  };
  const pct = (o: Spread): string => `+${o.median.toFixed(1)} % (${o.min.toFixed(1)} to ${o.max.toFixed(1)} over ${o.slices} slices)`;
  const ob = overhead(rates.before);
  const oa = overhead(rates.after);
  const speed = sliceRatios(rates.after, rates.before);
  figure('request-log memory overhead over bare effect, before (main 83e95a0)', ob, '%');
  figure('request-log memory overhead over bare effect', oa, '%', '≤ 10 %');
  figure('request-log memory after/before throughput', speed, 'x');
  figure('request-log memory bare ops/s', spreadOf(rates.bare), 'ops/s');
  figure('request-log memory ops/s', spreadOf(rates.after), 'ops/s');
  const med = (xs: readonly number[]): number => spreadOf(xs).median;
  return [
    ['memory, 1 client, before (main 83e95a0)', fmt(med(rates.bare)), fmt(med(rates.before)), `overhead ${pct(ob)}`],
    ['memory, 1 client, now', fmt(med(rates.bare)), fmt(med(rates.after)), `overhead ${pct(oa)} (goal ≤ 10 %: ${oa.median <= 10 ? 'met' : 'NOT met'}); now/before ${speed.median.toFixed(2)}x (${speed.min.toFixed(2)}–${speed.max.toFixed(2)})`],
  ];
}

// ---- 2. SQLite ----
function sqliteSetup(file: string, groupCommit: boolean) {
  const store = createSqliteStore({ database: join(dir, file), groupCommit });
  store.db.exec('CREATE TABLE IF NOT EXISTS accounts (id TEXT PRIMARY KEY, balance INTEGER NOT NULL); INSERT OR IGNORE INTO accounts VALUES (\'a1\', 1000000000000)');
  const update = store.db.prepare<[number, string], { balance: number }>('UPDATE accounts SET balance = balance - ? WHERE id = ? RETURNING balance');
  const effect: SqliteEffect = (_db, payload) => {
    const { account, amount } = payload as { account: string; amount: number };
    return { balance: update.get(amount, account)?.balance ?? null };
  };
  return { store, effect, update };
}

async function sqlite(): Promise<{ overhead: string[]; group: string[][] }> {
  // Overhead: one client, durable; bare = the same update in its own transaction.
  const bareSetup = sqliteSetup('bare.sqlite', false);
  const bareTx = bareSetup.store.db.transaction((amount: number) => bareSetup.update.get(amount, 'a1'));
  const one = sqliteSetup('one.sqlite', true);
  const log1 = createRequestLog({ store: one.store, maxInFlight: 64 });
  const [bare = 0, logged = 0] = await interleaved([
    {
      clients: 1,
      op: async (client, i) => {
        const request = decodeOne(encodeRequest(client, i));
        bareTx((request.payload as { amount: number }).amount);
        await Promise.resolve();
      },
    },
    { clients: 1, op: async (client, i) => serverCodec.encode(await log1.execute(decodeOne(encodeRequest(client, i)), one.effect)) },
  ]);
  await bareSetup.store.close();
  await log1.close();
  const overhead = ['SQLite FULL, 1 client', fmt(bare), fmt(logged), `overhead ${((bare / logged - 1) * 100).toFixed(1)} %`];

  const singleSetup = sqliteSetup('single.sqlite', false);
  const groupSetup = sqliteSetup('group.sqlite', true);
  const singleLog: RequestLog<SqliteEffect> = createRequestLog({ store: singleSetup.store, maxInFlight: 64 });
  const groupLog: RequestLog<SqliteEffect> = createRequestLog({ store: groupSetup.store, maxInFlight: 64 });
  const [single = 0, group = 0] = await interleaved([
    { clients: 64, op: (client, i) => singleLog.execute(decodeOne(encodeRequest(client, i)), singleSetup.effect) },
    { clients: 64, op: (client, i) => groupLog.execute(decodeOne(encodeRequest(client, i)), groupSetup.effect) },
  ]);
  const commits = [singleSetup.store.commits, groupSetup.store.commits];
  await singleLog.close();
  await groupLog.close();
  return {
    overhead,
    group: [
      ['one transaction per request', fmt(single), `${fmt(commits[0] ?? 0)} commits`, '1.00x'],
      ['group commit', fmt(group), `${fmt(commits[1] ?? 0)} commits`, verdict(group / single, 5)],
    ],
  };
}

// ---- 3. PostgreSQL ----
async function postgres(url: string): Promise<{ overhead: string[]; rows: string[][] }> {
  const schema = `rl_bench_${process.pid}`;
  const store = await createPostgresStore({ pool: url, schema });
  const pool = store.pool;
  await pool.query(`CREATE TABLE IF NOT EXISTS ${schema}.accounts (id text PRIMARY KEY, balance bigint NOT NULL)`);
  await pool.query(`INSERT INTO ${schema}.accounts SELECT 'a' || g, 1000000000000 FROM generate_series(0, 15) g ON CONFLICT DO NOTHING`);
  const effect: PostgresEffect = async (client, payload, { clientId }) => {
    const { amount } = payload as { amount: number };
    const account = `a${clientId.slice('bench-'.length)}`;
    const result = await client.query<{ balance: string }>(`UPDATE ${schema}.accounts SET balance = balance - $1 WHERE id = $2 RETURNING balance`, [amount, account]);
    return { balance: Number(result.rows[0]?.balance) };
  };
  const rows: string[][] = [];
  let overhead: string[] = [];
  try {
    for (const clients of [1, 16]) {
      pool.options.max = Math.max(clients, 10);
      const update = `UPDATE ${schema}.accounts SET balance = balance - $1 WHERE id = $2 RETURNING balance`;
      const log = createRequestLog({ store, maxInFlight: 64 });
      const [bare = 0, bareTx = 0, logged = 0] = await interleaved([
        // Bare A: the update alone, autocommitted (one round trip).
        {
          clients,
          op: async (client, i) => {
            const request = decodeOne(encodeRequest(client, i));
            await pool.query(update, [(request.payload as { amount: number }).amount, `a${client}`]);
          },
        },
        // Bare B: the same update in an explicit transaction, as an application would run its effect without the log.
        {
          clients,
          op: async (client, i) => {
            const request = decodeOne(encodeRequest(client, i));
            const connection = await pool.connect();
            try {
              await connection.query('BEGIN');
              await connection.query(update, [(request.payload as { amount: number }).amount, `a${client}`]);
              await connection.query('COMMIT');
            } finally {
              connection.release();
            }
          },
        },
        { clients, op: async (client, i) => serverCodec.encode(await log.execute(decodeOne(encodeRequest(client, i)), effect)) },
      ]);
      rows.push([`${clients} client${clients === 1 ? '' : 's'}`, fmt(bare), fmt(bareTx), fmt(logged), verdict(logged / bare, 0.8), `${(logged / bareTx).toFixed(2)}x`]);
      if (clients === 1) overhead = ['PostgreSQL, 1 client', fmt(bareTx), fmt(logged), `overhead ${((bareTx / logged - 1) * 100).toFixed(1)} % (bare = BEGIN/UPDATE/COMMIT)`];
      // Fresh ids for the next round: another clientId space.
      await pool.query(`TRUNCATE ${store.tables.clients}, ${store.tables.records}`);
    }
  } finally {
    await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    await store.close();
  }
  return { overhead, rows };
}

console.log(`request-log benchmarks, ${DURATION_MS} ms per figure in 6 interleaved slices, ${new Date().toISOString()}`);
// NETLAB_BENCH_ONLY=memory|sqlite|postgres runs one part (for quick iterations); default all.
const only = process.env.NETLAB_BENCH_ONLY ?? '';
const overheads: string[][] = [];
if (only === '' || only === 'memory') overheads.push(...(await memory()));
const sqliteResult = only === '' || only === 'sqlite' ? await sqlite() : undefined;
if (sqliteResult !== undefined) overheads.push(sqliteResult.overhead);
const url = only === '' || only === 'postgres' ? process.env.NETLAB_PG_URL : '';
let pgRows: string[][] | undefined;
if (url !== undefined && url !== '') {
  const pgResult = await postgres(url);
  overheads.push(pgResult.overhead);
  pgRows = pgResult.rows;
} else {
  console.log('PostgreSQL: skipped (set NETLAB_PG_URL)');
}
table('Exactly-once overhead over the bare effect (ops/s, full server path)', ['store', 'bare', 'exactly-once', 'result'], overheads);
if (sqliteResult !== undefined) table('SQLite durable (WAL, synchronous=FULL), 64 concurrent clients (ops/s)', ['mode', 'ops/s', 'commits', 'ratio'], sqliteResult.group);
if (pgRows !== undefined) table('PostgreSQL: exactly-once vs a bare one-statement transaction (ops/s)', ['clients', 'bare autocommit', 'bare BEGIN/UPDATE/COMMIT', 'exactly-once', 'vs autocommit', 'vs explicit tx'], pgRows);
