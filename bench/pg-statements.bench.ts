/**
 * PostgreSQL exactly-once, the options side by side (issue 16), standalone:
 * `NETLAB_PG_URL=… pnpm bench pg-statements`. Every variant runs a withdrawal (`UPDATE … SET
 * balance = balance - $1 … RETURNING balance`) through the full request-log server path (decode
 * the request frame, the log, encode the reply frame) except `bare`, which runs the update alone
 * autocommitted: one round trip, the statement the application would run anyway. At 1 and 16
 * clients, in interleaved slices (bare, a, b, c, c', d, bare, …), server defaults
 * (`synchronous_commit = on`: every commit waits for its WAL flush; `NETLAB_PG_SYNC=off` turns
 * that off for the benchmark's sessions, to show the round trips rather than the disk).
 *
 * - (a) `escaped`: the store before issue 16: `BEGIN; SET LOCAL; EXECUTE lock(…); EXECUTE find(…)`
 *   as one simple-protocol message with hand-escaped literals, the effect, `EXECUTE insert(…); COMMIT`
 *   (3 round trips);
 * - (b) `function`: a plpgsql function that decides, applies the effect and records the reply in
 *   one autocommitted statement (1 round trip; the effect must then be SQL inside the function);
 * - (c) `early`: parameters, pg's pipeline mode, the effect's first
 *   statement sent with BEGIN/lock/find (2 round trips);
 * - (c') `pipelined` (the store's default): the same, but the effect starts after the decision (3 round trips);
 * - (d) `sequential`: named prepared statements, one per round trip (5 round trips).
 *
 * Prints each variant's ops/s and its ratio to `bare` (median and range over the slices).
 */
import { randomBytes } from 'node:crypto';
import {
  type CompletionRecord,
  type RequestEnvelope,
  type RequestLogStore,
  type StoreOutcome,
  createClientStreamCodec,
  createRequestLog,
  createServerStreamCodec,
  decide,
  outcomeWithoutEffect,
  successBody,
} from '@netlab/request-log';
import { type PostgresEffect, type PostgresStoreMode, createPostgresStore } from '@netlab/request-log/postgres';
import pg from 'pg';
import { figure, fmt, interleavedRates, sliceRatios, table, verdictSpread } from './harness.js';

const url = process.env.NETLAB_PG_URL;
if (url === undefined || url === '') {
  console.log('pg-statements: skipped (set NETLAB_PG_URL)');
  process.exit(0);
}
const SLICE_MS = Number(process.env.NETLAB_BENCH_MS ?? 1_000);
const SLICES = Number(process.env.NETLAB_BENCH_SLICES ?? 5);
const schema = `bench_pgstmt_${randomBytes(4).toString('hex')}`;
// NETLAB_PG_SYNC=off: commits do not wait for their WAL flush, so the round trips and the
// server's statement work show instead of a shared disk's fsync queue.
const syncOff = process.env.NETLAB_PG_SYNC === 'off';
const pool = new pg.Pool({ connectionString: url, max: 20, ...(syncOff ? { options: '-c synchronous_commit=off' } : {}) });
const update = `UPDATE ${schema}.accounts SET balance = balance - $1 WHERE id = $2 RETURNING balance`;

const stores = new Map<PostgresStoreMode, RequestLogStore<PostgresEffect>>();
for (const mode of ['early', 'pipelined', 'sequential'] as const) stores.set(mode, await createPostgresStore({ pool, schema, mode }));
const clientsTable = `${schema}.request_log_clients`;
const recordsTable = `${schema}.request_log_records`;
await pool.query(`CREATE TABLE ${schema}.accounts (id text PRIMARY KEY, balance bigint NOT NULL)`);
await pool.query(`INSERT INTO ${schema}.accounts SELECT 'a' || g, 1000000000000 FROM generate_series(0, 15) g`);

const effect: PostgresEffect = async (client, payload) => {
  const { amount, account } = payload as { amount: number; account: string };
  const result = await client.query<{ balance: string }>(update, [amount, account]);
  return { balance: Number(result.rows[0]?.balance) };
};

/** (a) The store's statements before issue 16, reduced to the path this benchmark takes. */
function escapedStore(): RequestLogStore<PostgresEffect> {
  const prepared = new WeakSet<pg.ClientBase>();
  return {
    kind: 'postgres-escaped',
    async execute(request, run, { now, maxInFlight }): Promise<StoreOutcome> {
      const client = await pool.connect();
      try {
        if (!prepared.has(client)) {
          await client.query(`PREPARE b_lock (text, bigint, bigint) AS WITH prev AS (SELECT ack FROM ${clientsTable} WHERE client_id = $1)
            INSERT INTO ${clientsTable} AS c (client_id, ack, last_seen) VALUES ($1, $2, $3)
            ON CONFLICT (client_id) DO UPDATE SET ack = GREATEST(c.ack, EXCLUDED.ack), last_seen = GREATEST(c.last_seen, EXCLUDED.last_seen)
            RETURNING ack, last_seen, (xmax = 0) AS inserted, (SELECT ack FROM prev) AS prev_ack;
            PREPARE b_find (text, bigint) AS SELECT payload, reply FROM ${recordsTable} WHERE client_id = $1 AND seq = $2;
            PREPARE b_insert (text, bigint, bigint, bigint, text, text, text) AS WITH collected AS (DELETE FROM ${recordsTable} WHERE client_id = $1 AND seq > $2 AND seq <= $3)
            INSERT INTO ${recordsTable} (client_id, seq, fingerprint, payload, reply) VALUES ($1, $4, $5, $6, $7)`);
          prepared.add(client);
        }
        const id = pg.escapeLiteral(request.clientId);
        const results = (await client.query(
          `BEGIN; SET LOCAL lock_timeout = 5000; EXECUTE b_lock(${id}, ${request.ack}, ${now}); EXECUTE b_find(${id}, ${request.seq})`,
        )) as unknown as pg.QueryResult[];
        const row = results[2]?.rows[0] as { ack: string; last_seen: string; inserted: boolean; prev_ack: string | null } | undefined;
        if (row === undefined) throw new Error('no client row');
        const decision = decide(request, row.inserted ? undefined : { ack: Number(row.ack), lastSeen: Number(row.last_seen) }, results[3]?.rows[0] as CompletionRecord | undefined, maxInFlight);
        if (decision.kind !== 'execute') throw new Error(`benchmark requests always execute, got ${decision.kind}`);
        const reply = successBody(await run(client, request.payload, { clientId: request.clientId, seq: request.seq, now }));
        const from = row.inserted || row.prev_ack === null ? 0 : Number(row.prev_ack);
        await client.query(
          `EXECUTE b_insert(${id}, ${from}, ${Number(row.ack)}, ${request.seq}, ${pg.escapeLiteral(request.fingerprint)}, ${pg.escapeLiteral(request.canonical)}, ${pg.escapeLiteral(reply)}); COMMIT`,
        );
        return { kind: 'fresh', reply };
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    },
    expire: () => Promise.resolve(0),
    counts: () => Promise.resolve({ clients: 0, records: 0 }),
    close: () => Promise.resolve(),
  };
}

/**
 * (b) One plpgsql function: lock the client row, look the record up (each statement of a
 * volatile function at READ COMMITTED takes a new snapshot, so a record committed while it
 * waited for the lock is seen), decide, run the (SQL) effect, record its reply, in one
 * autocommitted statement. An expired client raises (nothing commits). The reply body is built
 * in SQL, in the canonical form `successBody` gives this effect.
 */
await pool.query(`CREATE FUNCTION ${schema}.withdraw_once(p_client text, p_seq bigint, p_ack bigint, p_now bigint, p_payload text, p_fp text, p_window bigint, p_amount bigint, p_account text)
  RETURNS TABLE (kind text, reply text, ack bigint) LANGUAGE plpgsql SET lock_timeout = 5000 AS $fn$
DECLARE v_prev bigint; v_ack bigint; v_inserted boolean; r_payload text; r_reply text; v_balance bigint; v_body text;
BEGIN
  SELECT c.ack INTO v_prev FROM ${clientsTable} c WHERE c.client_id = p_client;
  INSERT INTO ${clientsTable} AS c (client_id, ack, last_seen) VALUES (p_client, p_ack, p_now)
    ON CONFLICT (client_id) DO UPDATE SET ack = GREATEST(c.ack, EXCLUDED.ack), last_seen = GREATEST(c.last_seen, EXCLUDED.last_seen)
    RETURNING c.ack, (c.xmax = 0) INTO v_ack, v_inserted;
  IF v_inserted AND p_ack > 0 THEN RAISE EXCEPTION 'client expired' USING ERRCODE = 'RL001'; END IF;
  SELECT r.payload, r.reply INTO r_payload, r_reply FROM ${recordsTable} r WHERE r.client_id = p_client AND r.seq = p_seq;
  IF v_inserted THEN v_prev := 0; END IF;
  DELETE FROM ${recordsTable} r WHERE r.client_id = p_client AND r.seq > COALESCE(v_prev, 0) AND r.seq <= v_ack AND r.seq <> p_seq;
  IF r_payload IS NOT NULL THEN
    RETURN QUERY SELECT CASE WHEN r_payload = p_payload THEN 'replay' ELSE 'mismatch' END, r_reply, v_ack; RETURN;
  END IF;
  IF p_seq <= v_ack THEN RETURN QUERY SELECT 'stale', NULL::text, v_ack; RETURN; END IF;
  IF p_seq > v_ack + p_window THEN RETURN QUERY SELECT 'window', NULL::text, v_ack; RETURN; END IF;
  UPDATE ${schema}.accounts SET balance = balance - p_amount WHERE id = p_account RETURNING balance INTO v_balance;
  v_body := '{"ok":true,"value":{"balance":' || v_balance || '}}';
  INSERT INTO ${recordsTable} (client_id, seq, fingerprint, payload, reply) VALUES (p_client, p_seq, p_fp, p_payload, v_body);
  RETURN QUERY SELECT 'fresh', v_body, v_ack;
END $fn$`);

function functionStore(): RequestLogStore<PostgresEffect> {
  const call = `SELECT kind, reply, ack FROM ${schema}.withdraw_once($1, $2, $3, $4, $5, $6, $7, $8, $9)`;
  return {
    kind: 'postgres-function',
    async execute(request, _effect, { now, maxInFlight }): Promise<StoreOutcome> {
      const { amount, account } = request.payload as { amount: number; account: string };
      let result: pg.QueryResult<{ kind: string; reply: string | null; ack: string }>;
      try {
        result = await pool.query({ name: 'withdraw_once', text: call, values: [request.clientId, request.seq, request.ack, now, request.canonical, request.fingerprint, maxInFlight, amount, account] });
      } catch (error) {
        if ((error as { code?: string }).code === 'RL001') return { kind: 'expired' };
        throw error;
      }
      const row = result.rows[0];
      const ack = Number(row?.ack);
      switch (row?.kind) {
        case 'fresh':
          return { kind: 'fresh', reply: row.reply ?? '' };
        case 'replay':
          return outcomeWithoutEffect({ kind: 'replay', reply: row.reply ?? '', ack });
        case 'stale':
          return outcomeWithoutEffect({ kind: 'stale', ack });
        default:
          return outcomeWithoutEffect({ kind: 'window', ack, maxInFlight });
      }
    },
    expire: () => Promise.resolve(0),
    counts: () => Promise.resolve({ clients: 0, records: 0 }),
    close: () => Promise.resolve(),
  };
}

const clientCodec = createClientStreamCodec();
const serverCodec = createServerStreamCodec();
function request(key: string, client: number, seq: number): RequestEnvelope {
  const bytes = clientCodec.encode({ kind: 'request', clientId: `${key}-${client}`, seq, ack: seq - 1, payload: { op: 'withdraw', account: `a${client}`, amount: 5 } });
  const [decoded] = serverCodec.createDecoder().push(bytes);
  if (decoded === undefined) throw new Error('no request decoded');
  return decoded;
}

const logs = {
  escaped: createRequestLog({ store: escapedStore(), maxInFlight: 64 }),
  function: createRequestLog({ store: functionStore(), maxInFlight: 64 }),
  early: createRequestLog({ store: stores.get('early') ?? escapedStore(), maxInFlight: 64 }),
  pipelined: createRequestLog({ store: stores.get('pipelined') ?? escapedStore(), maxInFlight: 64 }),
  sequential: createRequestLog({ store: stores.get('sequential') ?? escapedStore(), maxInFlight: 64 }),
};
type Logged = keyof typeof logs;
const seqs = new Map<string, number>();

/** `clients` loops of `op` for one slice; returns ops/s. */
async function slice(clients: number, op: (client: number, seq: number) => Promise<unknown>, key: string): Promise<number> {
  let count = 0;
  const start = performance.now();
  const deadline = start + SLICE_MS;
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      while (performance.now() < deadline) {
        const seq = (seqs.get(`${key}-${client}`) ?? 0) + 1;
        seqs.set(`${key}-${client}`, seq);
        await op(client, seq);
        count++;
      }
    }),
  );
  return (count * 1000) / (performance.now() - start);
}

const loggedOp = (name: Logged, key: string) => async (client: number, seq: number): Promise<void> => {
  const reply = await logs[name].execute(request(key, client, seq), effect);
  if (reply.status !== 'done') throw new Error(`${name}: ${JSON.stringify(reply)}`);
  serverCodec.encode(reply);
};

const labels: Record<'bare' | Logged, string> = {
  bare: 'bare autocommit UPDATE (1 round trip)',
  escaped: '(a) escaped literals, before (3 round trips)',
  function: '(b) plpgsql function, SQL effect (1)',
  early: '(c) pipelined + early effect (2)',
  pipelined: "(c') pipelined, effect after decision, default (3)",
  sequential: '(d) named prepared, one per round trip (5)',
};
try {
  for (const clients of [1, 16]) {
    const run = (name: Logged) => () => slice(clients, loggedOp(name, `${name}-${clients}`), `${name}-${clients}`);
    const rates = await interleavedRates(
      {
        bare: () =>
          slice(clients, async (client, seq) => {
            const decoded = request(`bare-${clients}`, client, seq);
            const { amount, account } = decoded.payload as { amount: number; account: string };
            await pool.query(update, [amount, account]);
          }, `bare-${clients}`),
        escaped: run('escaped'),
        function: run('function'),
        early: run('early'),
        pipelined: run('pipelined'),
        sequential: run('sequential'),
      },
      SLICES,
    );
    const rows = (Object.keys(labels) as ('bare' | Logged)[]).map((name) => {
      const ratio = sliceRatios(rates[name], rates.bare);
      const median = [...rates[name]].sort((x, y) => x - y)[Math.floor(rates[name].length / 2)] ?? 0;
      if (name !== 'bare') figure(`pg exactly-once ${name} vs bare autocommit, ${clients} client${clients === 1 ? '' : 's'}${syncOff ? ', synchronous_commit off' : ''}`, ratio, 'x', '≥ 0.8x');
      return [labels[name], fmt(median), name === 'bare' ? '1.00x' : verdictSpread(ratio, 0.8)];
    });
    table(`PostgreSQL exactly-once vs bare autocommit, ${clients} client${clients === 1 ? '' : 's'}, synchronous_commit ${syncOff ? 'off' : 'on'}, ${SLICES} interleaved slices of ${SLICE_MS} ms`, ['variant', 'ops/s (median)', 'vs bare (median, range)'], rows);
  }
} finally {
  for (const store of stores.values()) await store.close();
  await pool.query(`DROP SCHEMA ${schema} CASCADE`);
  await pool.end();
}
