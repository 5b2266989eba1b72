/**
 * The PostgreSQL store (node-postgres): completion records in the same database as the effects'
 * tables, so an effect and its record commit in one transaction; several server replicas can
 * share it, and the database, not timing luck, keeps them from running a request twice.
 *
 * One request = one transaction at READ COMMITTED. Every value travels as a parameter of a named
 * statement (the driver parses it once per connection; nothing is escaped by hand), and the
 * store turns on pg's pipeline mode (pg ≥ 8.23) for the transaction's connection, so statements
 * sent together share a round trip. In mode `'early'` (the default is `'pipelined'`, below):
 * 1. `BEGIN; SET LOCAL lock_timeout`, the client-row upsert (raising its watermark) `RETURNING`
 *    the previous watermark, the record lookup, and right behind them the effect's first
 *    statements, all sent at once. The server runs them in order: the upsert takes the client's
 *    row lock, so a replica holding the same request (or any request of the same client) makes
 *    this one wait until it commits; the lookup, a new statement, then sees its record; the
 *    effect runs only after the lock is granted. If the lock is not granted within
 *    `lockTimeoutMs` the request fails `ERR_UNAVAILABLE` (retry the same id).
 *    Until the decision arrives the effect is speculative: when it is not `execute` (duplicate,
 *    stale, out of window, expired) the store waits for the effect to finish, rolls it back and
 *    decides again in a plain transaction (no effect) that applies the acknowledgement. So an
 *    effect must write only through its `client` (its writes are then undone); its return
 *    value is discarded. A new client whose ack is above 0 is `expired`: rolled back.
 * 2. the effect's later statements, with the transaction's client;
 * 3. the record insert with collection of the records in (previous ack, new ack], and `COMMIT`,
 *    sent together. Collection under the lock, in a new snapshot, sees every record committed
 *    before; the bounded range never walks the dead index entries of earlier collections.
 * Mode `'pipelined'` (the default) starts the effect only after the decision (one more round
 * trip, no speculation: `'early'` ran the ATM chaos run at 934 of 2400 operations in its time
 * budget against 2378 for `'pipelined'`, its speculative effects of retransmitted duplicates
 * holding row locks and costing a second transaction each); `'sequential'` sends one statement per round trip (for a proxy that cannot
 * pipeline). `bench/pg-statements.bench.ts` compares them with a plpgsql function and the old
 * escaped-literal messages (docs/ARCHITECTURE.md, "PostgreSQL in fewer round trips").
 * The primary key on (client_id, seq) is the backstop: a second insert of one id cannot commit.
 *
 * An effect that throws is rolled back with the whole transaction, and its failure is recorded in
 * a second transaction that locks and decides again (a replica may have run the request in
 * between; then its record is replayed). No savepoint on the common path: a subtransaction costs
 * two statements and an extra transaction id on every request for the sake of a rare one.
 * Transient database errors (serialization failure, deadlock, lock timeout, lost connection)
 * are not recorded: the transaction is rolled back and the request answers `ERR_UNAVAILABLE`
 * so the client retries the same id.
 *
 * Tables (schema and prefix configurable): `<p>_clients(client_id PK, ack, last_seen)` (no index
 * on last_seen, so the per-request update is HOT) and
 * `<p>_records(client_id, seq, fingerprint, payload, reply, PK(client_id, seq))`.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { JsonValue } from '../core/canonical-json.js';
import { type ClientRow, type CompletionRecord, type LoggedRequest, decide } from '../core/decide.js';
import { failureBody, successBody } from '../core/reply-body.js';
import { type EffectContext, type RequestLogStore, type StoreOutcome, outcomeWithoutEffect } from '../core/store.js';
import { RequestLogError, assertIntegerOption } from '../errors.js';

/** Default schema. */
export const DEFAULT_PG_SCHEMA = 'public';
/** Default table prefix. */
export const DEFAULT_PG_TABLE_PREFIX = 'request_log';
/** Default bound on waiting for another transaction on the same client: 5 s. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5_000;

/** An effect on PostgreSQL: write with `client` (inside the open transaction), return the reply value. */
export type PostgresEffect = (
  client: pg.PoolClient,
  payload: JsonValue,
  context: EffectContext,
) => Promise<JsonValue | undefined> | JsonValue | undefined;

export interface PostgresStoreOptions {
  /** A pool, or a connection string (the store then owns and ends its pool). Required. */
  readonly pool: pg.Pool | string;
  /** Schema of the tables (created if missing). Default {@link DEFAULT_PG_SCHEMA}. */
  readonly schema?: string;
  /** Table name prefix. Default {@link DEFAULT_PG_TABLE_PREFIX}. */
  readonly tablePrefix?: string;
  /** `lock_timeout` of each request's transaction. Default {@link DEFAULT_LOCK_TIMEOUT_MS}. */
  readonly lockTimeoutMs?: number;
  /**
   * How a request's statements travel (see the module comment): `'early'` pipelines them and
   * starts the effect, speculatively, with the opening statements (2 round trips for a
   * one-statement effect; duplicates cost a rolled-back effect and a second transaction);
   * `'pipelined'` pipelines them but starts the effect after the decision (3); `'sequential'`
   * sends one statement per round trip (5), for drivers or proxies that cannot pipeline.
   * Default {@link DEFAULT_PG_MODE}.
   */
  readonly mode?: PostgresStoreMode;
}

/** How the store sends a request's statements; see {@link PostgresStoreOptions.mode}. */
export type PostgresStoreMode = 'early' | 'pipelined' | 'sequential';
/** Default {@link PostgresStoreOptions.mode}. */
export const DEFAULT_PG_MODE: PostgresStoreMode = 'pipelined';
const PG_MODES: readonly PostgresStoreMode[] = ['early', 'pipelined', 'sequential'];

export interface PostgresStore extends RequestLogStore<PostgresEffect> {
  readonly pool: pg.Pool;
  /** The qualified table names, for tests and operators. */
  readonly tables: { readonly clients: string; readonly records: string };
}

/** SQLSTATEs after which the same request may simply be retried: nothing is recorded for them. */
const TRANSIENT = /^(40001|40P01|55P03|57014|57P0[1-3]|08...)$/;

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function isTransient(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && TRANSIENT.test(code);
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** The connection's pipeline switch (pg ≥ 8.23): typed read-only, but a property the client reads on every send. */
interface Pipelinable {
  pipeline: boolean;
}

/** A named (prepared once per connection by the driver) parameterized statement. */
interface Statement {
  readonly name: string;
  readonly text: string;
}

/** A statement whose name is a hash of its text: equal names, equal statements, no collisions across tables. */
function statement(text: string): Statement {
  return { name: `rl_${createHash('sha256').update(text).digest('hex').slice(0, 16)}`, text };
}

/**
 * Sends the queries (all at once on a pipelined connection, else one after the other), awaits
 * every one and throws the first failure: once one statement of a transaction fails the ones
 * behind it fail too (25P02), and the first error is the one that says why. Waiting for all
 * keeps none of their rejections unhandled.
 */
async function send(client: pg.PoolClient, queries: readonly (() => Promise<pg.QueryResult>)[]): Promise<pg.QueryResult[]> {
  if (!(client as unknown as Pipelinable).pipeline) {
    const values: pg.QueryResult[] = [];
    for (const query of queries) values.push(await query());
    return values;
  }
  const settled = await Promise.allSettled(queries.map((query) => query()));
  const values: pg.QueryResult[] = [];
  for (const result of settled) {
    if (result.status === 'rejected') throw result.reason;
    values.push(result.value);
  }
  return values;
}

/** The effect's result, caught: a speculative effect's failure only matters if the request runs. */
type EffectResult = { readonly ok: true; readonly value: JsonValue | undefined } | { readonly ok: false; readonly error: unknown };

/** What one transaction of `execute` runs: the effect, the decision's inputs, and the failure of an earlier, rolled-back try. */
interface TransactionAttempt {
  readonly effect: PostgresEffect;
  readonly now: number;
  readonly maxInFlight: number;
  /** The recorded failure body when the effect already threw in a rolled-back transaction. */
  readonly failure: string | undefined;
  /** Start the effect together with the opening statements (see the module comment). */
  readonly early: boolean;
}

/** Creates the tables if needed and returns the store (see the module comment). */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const schema = options.schema ?? DEFAULT_PG_SCHEMA;
  const prefix = options.tablePrefix ?? DEFAULT_PG_TABLE_PREFIX;
  for (const [name, value] of [['schema', schema], ['tablePrefix', prefix]] as const) {
    if (!IDENTIFIER.test(value)) throw new RequestLogError('ERR_INVALID_OPTION', `${name} must match ${String(IDENTIFIER)}, got ${value}`);
  }
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  assertIntegerOption('lockTimeoutMs', lockTimeoutMs, 0, 2 ** 31 - 1);
  const mode = options.mode ?? DEFAULT_PG_MODE;
  if (!PG_MODES.includes(mode)) throw new RequestLogError('ERR_INVALID_OPTION', `mode must be one of ${PG_MODES.join(', ')}, got ${mode as string}`);
  const owned = typeof options.pool === 'string';
  const pool = typeof options.pool === 'string' ? new pg.Pool({ connectionString: options.pool }) : options.pool;
  const clients = `${schema}.${prefix}_clients`;
  const records = `${schema}.${prefix}_records`;

  const setup = await pool.connect();
  try {
    // Replicas starting together must not race on CREATE TABLE IF NOT EXISTS (it can fail on the catalog's unique index).
    await setup.query('BEGIN');
    await setup.query(`SELECT pg_advisory_xact_lock(hashtext('netlab_request_log_setup'))`);
    await setup.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await setup.query(`CREATE TABLE IF NOT EXISTS ${clients} (client_id text PRIMARY KEY, ack bigint NOT NULL, last_seen bigint NOT NULL)`);
    // No index on last_seen: every request rewrites it, and an indexed column would make every
    // client-row update a non-HOT one (a new index entry in each index). The lease sweep scans
    // the table instead, once per sweep interval. Older versions created the index: drop it.
    await setup.query(`DROP INDEX IF EXISTS ${schema}.${prefix}_clients_last_seen`);
    await setup.query(
      `CREATE TABLE IF NOT EXISTS ${records} (client_id text NOT NULL, seq bigint NOT NULL, fingerprint text NOT NULL, payload text NOT NULL, reply text NOT NULL, PRIMARY KEY (client_id, seq))`,
    );
    await setup.query('COMMIT');
  } catch (error) {
    await setup.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    setup.release();
  }

  // The hot statements, parameterized and named (the driver parses each once per connection).
  // `lockTimeoutMs` is a validated integer, the one value written into a statement's text.
  const begin = `BEGIN; SET LOCAL lock_timeout = ${lockTimeoutMs}`;
  const lock = statement(
    // `prev` reads the stored ack from the statement's snapshot, before the row lock: it can
    // only be lower than the locked value (acks only rise), so the collection range built on it
    // can only be wider than needed, never narrower.
    `WITH prev AS (SELECT ack FROM ${clients} WHERE client_id = $1)
     INSERT INTO ${clients} AS c (client_id, ack, last_seen) VALUES ($1, $2::bigint, $3::bigint)
       ON CONFLICT (client_id) DO UPDATE SET ack = GREATEST(c.ack, EXCLUDED.ack), last_seen = GREATEST(c.last_seen, EXCLUDED.last_seen)
       RETURNING ack, last_seen, (xmax = 0) AS inserted, (SELECT ack FROM prev) AS prev_ack`,
  );
  const find = statement(`SELECT payload, reply FROM ${records} WHERE client_id = $1 AND seq = $2::bigint`);
  const collect = statement(`DELETE FROM ${records} WHERE client_id = $1 AND seq > $2::bigint AND seq <= $3::bigint`);
  const insertRecord = statement(
    `WITH collected AS (DELETE FROM ${records} WHERE client_id = $1 AND seq > $2::bigint AND seq <= $3::bigint)
     INSERT INTO ${records} (client_id, seq, fingerprint, payload, reply) VALUES ($1, $4::bigint, $5, $6, $7)`,
  );
  const run = (client: pg.PoolClient, { name, text }: Statement, values: readonly unknown[]): Promise<pg.QueryResult> =>
    client.query({ name, text, values: [...values] });

  /** Calls the effect and catches its outcome (the call waits a microtask, behind the queries already sent). */
  async function startEffect(client: pg.PoolClient, request: LoggedRequest, effect: PostgresEffect, now: number): Promise<EffectResult> {
    try {
      await Promise.resolve();
      return { ok: true, value: await effect(client, request.payload, { clientId: request.clientId, seq: request.seq, now }) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /**
   * One transaction for `request` on `client` (see the module comment). With `attempt.failure`
   * set, the effect already threw in an earlier, rolled-back transaction: if the request is still
   * to run, that failure is recorded instead of running the effect again.
   */
  async function transact(client: pg.PoolClient, request: LoggedRequest, attempt: TransactionAttempt): Promise<StoreOutcome> {
    const { effect, now, maxInFlight, failure } = attempt;
    const id = request.clientId;
    const opening = send(client, [
      () => client.query(begin),
      () => run(client, lock, [id, request.ack, now]),
      () => run(client, find, [id, request.seq]),
    ]);
    // Early: the effect's first statements go out right behind the opening ones, so they reach
    // the server in the same round trip and run after the row lock is granted. Until the decision
    // says `execute` the effect is speculative; any other decision rolls it back (below).
    const early = attempt.early && failure === undefined ? startEffect(client, request, effect, now) : undefined;
    let opened: pg.QueryResult[];
    try {
      opened = await opening;
    } catch (error) {
      // The effect's statements fail behind the failed opening (25P02); let it finish before the
      // caller rolls back, so none of its statements can run after the ROLLBACK, outside any transaction.
      await early;
      throw error;
    }
    const row = opened[1]?.rows[0] as { ack: string; last_seen: string; inserted: boolean; prev_ack: string | null } | undefined;
    const record = opened[2]?.rows[0] as CompletionRecord | undefined;
    if (row === undefined) {
      await early;
      throw new Error('client upsert returned no row');
    }
    const known: ClientRow | undefined = row.inserted ? undefined : { ack: Number(row.ack), lastSeen: Number(row.last_seen) };
    const decision = decide(request, known, record, maxInFlight);
    if (decision.kind === 'expired') {
      await early;
      await client.query('ROLLBACK');
      return { kind: 'expired' };
    }
    if (early !== undefined && decision.kind !== 'execute') {
      // A duplicate, stale or out-of-window request whose effect started: undo the effect, then
      // decide again in a plain transaction, which applies the acknowledgement and answers.
      await early;
      await client.query('ROLLBACK');
      return await transact(client, request, { ...attempt, early: false });
    }
    let outcome: StoreOutcome;
    /** The record's fingerprint, payload and reply, when the effect ran. */
    let insert: readonly string[] | undefined;
    switch (decision.kind) {
      case 'execute': {
        let reply: string;
        if (failure === undefined) {
          const result = await (early ?? startEffect(client, request, effect, now));
          if (result.ok) {
            reply = successBody(result.value);
          } else {
            if (isTransient(result.error)) throw result.error;
            // Roll everything back (the effect's writes with it) and record the failure in a new
            // transaction, which decides again: meanwhile a replica may have run the request.
            await client.query('ROLLBACK');
            return await transact(client, request, { ...attempt, early: false, failure: failureBody(result.error) });
          }
        } else {
          reply = failure;
        }
        insert = [request.fingerprint, request.canonical, reply];
        outcome = { kind: 'fresh', reply };
        break;
      }
      default:
        outcome = outcomeWithoutEffect(decision);
        break;
    }
    // Collection runs here, under the row lock and in a new snapshot, so it sees every record
    // committed by earlier holders of the lock. Records at or below the stored ack were
    // collected by the transaction that raised it, and an inserted record is always above the
    // ack of its time, so only (previous ack, new ack] can hold collectable records.
    const from = row.inserted || row.prev_ack === null ? 0 : Number(row.prev_ack);
    const to = Number(row.ack);
    const closing: (() => Promise<pg.QueryResult>)[] = [];
    if (insert !== undefined) {
      const values = [id, from, to, request.seq, ...insert];
      closing.push(() => run(client, insertRecord, values));
    } else if (to > from) {
      closing.push(() => run(client, collect, [id, from, to]));
    }
    closing.push(() => client.query('COMMIT'));
    const results = await send(client, closing);
    // A COMMIT of a transaction that failed on the way answers ROLLBACK: never report that as done.
    if (results[results.length - 1]?.command !== 'COMMIT') throw new Error('transaction was rolled back at COMMIT');
    return outcome;
  }

  let closed = false;

  const store: PostgresStore = {
    kind: 'postgres',
    pool,
    tables: { clients, records },
    async execute(request, effect, { now, maxInFlight }): Promise<StoreOutcome> {
      if (closed) throw new RequestLogError('ERR_CLOSED', 'store is closed');
      const client = await pool.connect();
      // Pipelined: every query goes out at once, without waiting for the previous one's answer.
      const pipe = client as unknown as Pipelinable;
      const wasPipelined = pipe.pipeline;
      pipe.pipeline = mode !== 'sequential';
      let broken: Error | undefined;
      try {
        return await transact(client, request, { effect, now, maxInFlight, failure: undefined, early: mode === 'early' });
      } catch (error) {
        // Someone deallocated the driver's named statements (DISCARD ALL on a shared pool): the
        // driver still thinks they exist on this connection, so replace the connection.
        if (sqlState(error) === '26000') broken = error instanceof Error ? error : new Error(String(error));
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw new RequestLogError('ERR_UNAVAILABLE', `transaction rolled back: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
          clientId: request.clientId,
          seq: request.seq,
        });
      } finally {
        pipe.pipeline = wasPipelined;
        // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
        client.release(broken);
      }
    },
    async expire(before, unacknowledgedBefore = before) {
      const result = await pool.query<{ n: string }>(
        `WITH gone AS (DELETE FROM ${clients} WHERE last_seen < $1 OR (ack = 0 AND last_seen < $2) RETURNING client_id),
              dropped AS (DELETE FROM ${records} r USING gone WHERE r.client_id = gone.client_id)
         SELECT count(*) AS n FROM gone`,
        [before, unacknowledgedBefore],
      );
      return Number(result.rows[0]?.n ?? 0);
    },
    async counts() {
      const result = await pool.query<{ clients: string; records: string }>(
        `SELECT (SELECT count(*) FROM ${clients}) AS clients, (SELECT count(*) FROM ${records}) AS records`,
      );
      return { clients: Number(result.rows[0]?.clients ?? 0), records: Number(result.rows[0]?.records ?? 0) };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (owned) await pool.end();
    },
  };
  return store;
}
