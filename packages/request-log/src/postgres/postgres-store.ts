/**
 * The PostgreSQL store (node-postgres): completion records in the same database as the effects'
 * tables, so an effect and its record commit in one transaction; several server replicas can
 * share it, and the database, not timing luck, keeps them from running a request twice.
 *
 * One request = one transaction at READ COMMITTED, in two round trips plus the effect's own:
 * 1. `BEGIN; SET LOCAL lock_timeout; delete the records at or below the carried ack and upsert
 *    the client row (raising its watermark) ... RETURNING; SELECT record; SAVEPOINT` (one
 *    simple-protocol message; values are escaped literals). The upsert takes the client's row
 *    lock, so a replica holding the same request (or any request of the same client) makes this
 *    one wait until it commits; the SELECT, being a new statement, then sees its record and the
 *    request is replayed, not run. If the lock is not granted within `lockTimeoutMs` the request
 *    fails `ERR_UNAVAILABLE` (retry the same id). A new client whose ack is above 0 is
 *    `expired`: the transaction is rolled back.
 * 2. the effect, with the transaction's client;
 * 3. `RELEASE (or ROLLBACK TO) SAVEPOINT; INSERT record; COMMIT`.
 * The primary key on (client_id, seq) is the backstop: a second insert of one id cannot commit.
 *
 * An effect that throws is rolled back to its savepoint and its failure recorded, except for
 * transient database errors (serialization failure, deadlock, lock timeout, lost connection):
 * then the whole transaction is rolled back, nothing is recorded, and the request answers
 * `ERR_UNAVAILABLE` so the client retries the same id.
 *
 * Tables (schema and prefix configurable): `<p>_clients(client_id PK, ack, last_seen)` and
 * `<p>_records(client_id, seq, fingerprint, payload, reply, PK(client_id, seq))`.
 */
import pg from 'pg';
import type { JsonValue } from '../core/canonical-json.js';
import { type ClientRow, type CompletionRecord, decide } from '../core/decide.js';
import { failureBody, successBody } from '../core/reply-body.js';
import type { EffectContext, RequestLogStore, StoreOutcome } from '../core/store.js';
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
}

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

/** Creates the tables if needed and returns the store (see the module comment). */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const schema = options.schema ?? DEFAULT_PG_SCHEMA;
  const prefix = options.tablePrefix ?? DEFAULT_PG_TABLE_PREFIX;
  for (const [name, value] of [['schema', schema], ['tablePrefix', prefix]] as const) {
    if (!IDENTIFIER.test(value)) throw new RequestLogError('ERR_INVALID_OPTION', `${name} must match ${String(IDENTIFIER)}, got ${value}`);
  }
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  assertIntegerOption('lockTimeoutMs', lockTimeoutMs, 0, 2 ** 31 - 1);
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
    await setup.query(`CREATE INDEX IF NOT EXISTS ${prefix}_clients_last_seen ON ${clients} (last_seen)`);
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

  let closed = false;

  const store: PostgresStore = {
    kind: 'postgres',
    pool,
    tables: { clients, records },
    async execute(request, effect, { now, maxInFlight }): Promise<StoreOutcome> {
      if (closed) throw new RequestLogError('ERR_CLOSED', 'store is closed');
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        const id = pg.escapeLiteral(request.clientId);
        const results = (await client.query(
          `BEGIN; SET LOCAL lock_timeout = ${lockTimeoutMs};
           WITH collected AS (DELETE FROM ${records} WHERE client_id = ${id} AND seq <= ${request.ack})
           INSERT INTO ${clients} AS c (client_id, ack, last_seen) VALUES (${id}, ${request.ack}, ${now})
             ON CONFLICT (client_id) DO UPDATE SET ack = GREATEST(c.ack, EXCLUDED.ack), last_seen = GREATEST(c.last_seen, EXCLUDED.last_seen)
             RETURNING ack, last_seen, (xmax = 0) AS inserted;
           SELECT payload, reply FROM ${records} WHERE client_id = ${id} AND seq = ${request.seq};
           SAVEPOINT request_log_effect`,
        )) as unknown as pg.QueryResult[];
        const row = results[2]?.rows[0] as { ack: string; last_seen: string; inserted: boolean } | undefined;
        const record = results[3]?.rows[0] as CompletionRecord | undefined;
        if (row === undefined) throw new Error('client upsert returned no row');
        const known: ClientRow | undefined = row.inserted ? undefined : { ack: Number(row.ack), lastSeen: Number(row.last_seen) };
        const decision = decide(request, known, record, maxInFlight);
        if (decision.kind === 'expired') {
          await client.query('ROLLBACK');
          return { kind: 'expired' };
        }
        let outcome: StoreOutcome;
        let finish = 'RELEASE SAVEPOINT request_log_effect;';
        switch (decision.kind) {
          case 'execute': {
            let reply: string;
            try {
              reply = successBody(await effect(client, request.payload, { clientId: request.clientId, seq: request.seq, now }));
            } catch (error) {
              if (isTransient(error)) throw error;
              reply = failureBody(error);
              finish = 'ROLLBACK TO SAVEPOINT request_log_effect; RELEASE SAVEPOINT request_log_effect;';
            }
            finish += `INSERT INTO ${records} (client_id, seq, fingerprint, payload, reply) VALUES (${id}, ${request.seq}, ${pg.escapeLiteral(request.fingerprint)}, ${pg.escapeLiteral(request.canonical)}, ${pg.escapeLiteral(reply)});`;
            outcome = { kind: 'fresh', reply };
            break;
          }
          case 'replay':
            outcome = { kind: 'replay', reply: decision.reply };
            break;
          case 'mismatch':
            outcome = { kind: 'mismatch', fields: decision.fields };
            break;
          case 'stale':
            outcome = { kind: 'stale', ack: decision.ack };
            break;
          case 'window':
            outcome = { kind: 'window', ack: decision.ack, maxInFlight: decision.maxInFlight };
            break;
        }
        await client.query(`${finish} COMMIT`);
        return outcome;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw new RequestLogError('ERR_UNAVAILABLE', `transaction rolled back: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
          clientId: request.clientId,
          seq: request.seq,
        });
      } finally {
        // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
        client.release(broken);
      }
    },
    async expire(before) {
      const result = await pool.query<{ n: string }>(
        `WITH gone AS (DELETE FROM ${clients} WHERE last_seen < $1 RETURNING client_id),
              dropped AS (DELETE FROM ${records} r USING gone WHERE r.client_id = gone.client_id)
         SELECT count(*) AS n FROM gone`,
        [before],
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
