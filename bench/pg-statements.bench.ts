/**
 * PostgreSQL statement shapes of one request-log transaction (standalone:
 * `NETLAB_PG_URL=… node --import tsx bench/pg-statements.bench.ts`): what parameters would cost
 * against the store's hand-escaped simple-protocol messages. One client, a loop of transactions
 * that each lock a client row, look a record up, insert the record and commit (no effect), in
 * three shapes, run interleaved (A B C A B C …, 9 slices each), `synchronous_commit` off:
 *
 * - `escaped` (the store today): 2 round trips, `BEGIN; SET LOCAL; EXECUTE lock(…); EXECUTE find(…)`
 *   then `EXECUTE insert(…); COMMIT`, values as escaped literals (`pg.escapeLiteral`);
 * - `parameters`: every statement a parameterized extended-protocol query (named, so prepared
 *   once): BEGIN+SET, lock, find, insert, COMMIT = 5 round trips (node-postgres does not pipeline);
 * - `hybrid`: the first message as today but only with values that need no escaping (a
 *   validated client id, integers), the record insert parameterized, then COMMIT = 4 round trips;
 *
 * Prints each shape's transactions per second and its ratio to `escaped` (median and range).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { fmt, table } from './harness.js';

const url = process.env.NETLAB_PG_URL;
if (url === undefined || url === '') {
  console.log('pg-statements: skipped (set NETLAB_PG_URL)');
  process.exit(0);
}
const SLICE_MS = Number(process.env.NETLAB_BENCH_MS ?? 1_500);
const SLICES = 9;
const schema = `bench_pgstmt_${randomBytes(4).toString('hex')}`;
const client = new pg.Client({ connectionString: url });
await client.connect();
// No fsync wait at COMMIT: what is compared is the round trips and the client's work, which a
// commit's flush (milliseconds on this disk) would drown.
await client.query('SET synchronous_commit TO off');
await client.query(`CREATE SCHEMA ${schema}`);
await client.query(`CREATE TABLE ${schema}.clients (client_id text PRIMARY KEY, ack bigint NOT NULL, last_seen bigint NOT NULL)`);
await client.query(`CREATE TABLE ${schema}.records (client_id text NOT NULL, seq bigint NOT NULL, fingerprint text NOT NULL, payload text NOT NULL, reply text NOT NULL, PRIMARY KEY (client_id, seq))`);
const lockSql = `INSERT INTO ${schema}.clients AS c (client_id, ack, last_seen) VALUES ($1, $2, $3) ON CONFLICT (client_id) DO UPDATE SET ack = GREATEST(c.ack, EXCLUDED.ack), last_seen = EXCLUDED.last_seen RETURNING ack`;
const findSql = `SELECT payload, reply FROM ${schema}.records WHERE client_id = $1 AND seq = $2`;
const insertSql = `WITH collected AS (DELETE FROM ${schema}.records WHERE client_id = $1 AND seq > $2 AND seq <= $3) INSERT INTO ${schema}.records (client_id, seq, fingerprint, payload, reply) VALUES ($1, $4, $5, $6, $7)`;
await client.query(`PREPARE b_lock (text, bigint, bigint) AS ${lockSql}`);
await client.query(`PREPARE b_find (text, bigint) AS ${findSql}`);
await client.query(`PREPARE b_insert (text, bigint, bigint, bigint, text, text, text) AS ${insertSql}`);

const payload = JSON.stringify({ op: 'withdraw', session: 'ab'.repeat(32), withdrawal: "w-1'quote", amount: 50_000 });
const reply = JSON.stringify({ ok: true, value: { code: 'APPROVED', message: 'approved', balance: 70_000 } });
const fingerprint = 'f'.repeat(64);
let seq = 0;
const id = 'bench-client';

const shapes = {
  async escaped() {
    seq++;
    const cid = pg.escapeLiteral(id);
    await client.query(`BEGIN; SET LOCAL lock_timeout = 5000; EXECUTE b_lock(${cid}, ${seq - 1}, ${Date.now()}); EXECUTE b_find(${cid}, ${seq})`);
    await client.query(`EXECUTE b_insert(${cid}, ${seq - 2}, ${seq - 1}, ${seq}, ${pg.escapeLiteral(fingerprint)}, ${pg.escapeLiteral(payload)}, ${pg.escapeLiteral(reply)}); COMMIT`);
  },
  async parameters() {
    seq++;
    await client.query('BEGIN; SET LOCAL lock_timeout = 5000');
    await client.query({ name: 'p_lock', text: lockSql, values: [id, seq - 1, Date.now()] });
    await client.query({ name: 'p_find', text: findSql, values: [id, seq] });
    await client.query({ name: 'p_insert', text: insertSql, values: [id, seq - 2, seq - 1, seq, fingerprint, payload, reply] });
    await client.query('COMMIT');
  },
  async hybrid() {
    seq++;
    // The client id is validated ([A-Za-z0-9._:-]) and the rest are integers: nothing to escape.
    await client.query(`BEGIN; SET LOCAL lock_timeout = 5000; EXECUTE b_lock('${id}', ${seq - 1}, ${Date.now()}); EXECUTE b_find('${id}', ${seq})`);
    await client.query({ name: 'p_insert', text: insertSql, values: [id, seq - 2, seq - 1, seq, fingerprint, payload, reply] });
    await client.query('COMMIT');
  },
} as const;

type Shape = keyof typeof shapes;
const names = Object.keys(shapes) as Shape[];
const rates: Record<Shape, number[]> = { escaped: [], parameters: [], hybrid: [] };
for (const name of names) for (let i = 0; i < 50; i++) await shapes[name](); // warm up
for (let slice = 0; slice < SLICES; slice++) {
  for (const name of names) {
    let count = 0;
    const start = performance.now();
    while (performance.now() - start < SLICE_MS) {
      await shapes[name]();
      count++;
    }
    rates[name].push((count * 1000) / (performance.now() - start));
  }
}
await client.query(`DROP SCHEMA ${schema} CASCADE`);
await client.end();

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const rows = names.map((name) => {
  const ratios = rates[name].map((rate, i) => rate / (rates.escaped[i] ?? Number.NaN));
  return [name, fmt(median(rates[name])), `${fmt(median(ratios), 2)}x`, `${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}x`];
});
table(`PostgreSQL request-log transaction shapes, 1 client, ${SLICES} interleaved slices of ${SLICE_MS} ms`, ['shape', 'tx/s (median)', 'vs escaped (median)', 'range'], rows);
