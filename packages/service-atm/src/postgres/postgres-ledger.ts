/**
 * The PostgreSQL ledger: the bank's tables in the same database (and schema) as the request
 * log's records; each operation runs inside the request log's transaction (READ COMMITTED).
 * Several server replicas may share it: rows are read `FOR UPDATE`, in one lock order for every
 * operation (withdrawal id, then session, then account), so two ATMs withdrawing from one
 * account on two replicas queue on the account's row lock and the second sees the first's
 * balance. A transaction-scoped advisory lock on the withdrawal id serializes an authorization
 * and a reversal of the same id even when no row exists yet. `CHECK (balance >= 0)` is the
 * backstop; the journal is append-only (a trigger raises on UPDATE and DELETE).
 *
 * Tables: as in the SQLite ledger (`<schema>.atm_meta`, `_accounts`, `_sessions`,
 * `_withdrawals`, `_journal`), amounts as `bigint`; older schemas get the `terminal` and
 * `session` columns and keyed PIN hashes the first time they are opened with a bank key.
 */
import { type PostgresEffect, type PostgresStore, type PostgresStoreOptions, createPostgresStore } from '@netlab/request-log/postgres';
import pg from 'pg';
import { assembleAudit } from '../audit.js';
import { type BankKey, createBankKey } from '../bank-key.js';
import { DEMO_ACCOUNTS } from '../demo-accounts.js';
import { AtmError } from '../errors.js';
import type { AccountSummary, AtmLedger, LedgerAudit, LedgerOptions, PreparedRequest } from '../ledger.js';
import type { AccountRow, LedgerLimits, WithdrawalStatus } from '../ledger-core.js';
import { resolveLimits } from '../limits.js';
import { LEGACY_PIN_HASH_PREFIX, MAX_PIN_TRIES, pepperLegacyPinHash } from '../pin.js';
import { prepareRequest } from '../prepare.js';
import { runOperationAsync } from '../run-operation.js';
import { checkBankKey, hashSeedAccounts } from '../seed.js';

/** Default schema. */
export const DEFAULT_PG_LEDGER_SCHEMA = 'public';
/** Default table prefix of the bank's tables. */
export const DEFAULT_PG_LEDGER_PREFIX = 'atm';

export interface PostgresLedgerOptions extends LedgerOptions, Pick<PostgresStoreOptions, 'lockTimeoutMs'> {
  /** A pool, or a connection string (the ledger then owns and ends its pool). Required. */
  readonly pool: pg.Pool | string;
  /** Schema of every table, the request log's included (created if missing). Default {@link DEFAULT_PG_LEDGER_SCHEMA}. */
  readonly schema?: string;
  /** Prefix of the bank's tables. Default {@link DEFAULT_PG_LEDGER_PREFIX}. */
  readonly tablePrefix?: string;
  /**
   * The bank key's 32 bytes, kept OUTSIDE the database; every replica must be given the same.
   * Required (see the SQLite ledger's option).
   */
  readonly bankKey: Uint8Array;
}

export interface PostgresLedger extends AtmLedger<PostgresEffect> {
  readonly store: PostgresStore;
  readonly pool: pg.Pool;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const num = (value: string | number | null | undefined): number => (value === null || value === undefined ? 0 : Number(value));

/**
 * Runs the queries, all at once when the connection pipelines (the request log's store turns
 * pg's pipeline mode on for its transactions), else in turn; throws the first failure after all
 * have settled, so no rejection goes unhandled.
 */
async function sendAll(client: pg.PoolClient, queries: readonly (() => Promise<unknown>)[]): Promise<void> {
  if (!(client as unknown as { readonly pipeline?: boolean }).pipeline) {
    for (const query of queries) await query();
    return;
  }
  for (const result of await Promise.allSettled(queries.map((query) => query()))) {
    if (result.status === 'rejected') throw result.reason;
  }
}

/** Opens (creating and seeding if new) a PostgreSQL ledger. */
export async function createPostgresAtmLedger(options: PostgresLedgerOptions): Promise<PostgresLedger> {
  const limits = resolveLimits(options.limits);
  const key = createBankKey(options.bankKey);
  const schema = options.schema ?? DEFAULT_PG_LEDGER_SCHEMA;
  const prefix = options.tablePrefix ?? DEFAULT_PG_LEDGER_PREFIX;
  for (const [name, value] of [['schema', schema], ['tablePrefix', prefix]] as const) {
    if (!IDENTIFIER.test(value)) throw new AtmError('ERR_INVALID_OPTION', `${name} must match ${String(IDENTIFIER)}, got ${value}`);
  }
  const owned = typeof options.pool === 'string';
  const pool = typeof options.pool === 'string' ? new pg.Pool({ connectionString: options.pool }) : options.pool;
  try {
    return await openPostgresLedger(options, pool, owned, { limits, key, schema, prefix });
  } catch (error) {
    // A ledger that could not open must not leave a pool of its own behind (it would keep the process alive).
    if (owned) await pool.end().catch(() => undefined);
    throw error;
  }
}

async function openPostgresLedger(
  options: PostgresLedgerOptions,
  pool: pg.Pool,
  owned: boolean,
  { limits, key, schema, prefix }: { readonly limits: LedgerLimits; readonly key: BankKey; readonly schema: string; readonly prefix: string },
): Promise<PostgresLedger> {
  const store = await createPostgresStore({ pool, schema, ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }) });
  const table = (name: string): string => `${schema}.${prefix}_${name}`;

  const setup = await pool.connect();
  try {
    await setup.query('BEGIN');
    // Replicas starting together: one creates and seeds, the others wait and find it done.
    await setup.query(`SELECT pg_advisory_xact_lock(hashtext('netlab_atm_setup_' || $1))`, [`${schema}.${prefix}`]);
    await setup.query(`
      CREATE TABLE IF NOT EXISTS ${table('meta')} (key text PRIMARY KEY, value bigint NOT NULL);
      CREATE TABLE IF NOT EXISTS ${table('accounts')} (
        card text PRIMARY KEY, holder text NOT NULL, pin_hash text NOT NULL,
        balance bigint NOT NULL CHECK (balance >= 0), pin_tries integer NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS ${table('sessions')} (token text PRIMARY KEY, card text NOT NULL, terminal text, expires_at bigint NOT NULL);
      ALTER TABLE ${table('sessions')} ADD COLUMN IF NOT EXISTS terminal text;
      CREATE INDEX IF NOT EXISTS ${prefix}_sessions_card ON ${table('sessions')} (card);
      CREATE TABLE IF NOT EXISTS ${table('withdrawals')} (
        id text PRIMARY KEY, terminal text NOT NULL, session text, card text, amount bigint NOT NULL CHECK (amount >= 0),
        status text NOT NULL CHECK (status IN ('held', 'dispensed', 'reversed')));
      ALTER TABLE ${table('withdrawals')} ADD COLUMN IF NOT EXISTS session text;
      CREATE TABLE IF NOT EXISTS ${table('journal')} (
        id bigserial PRIMARY KEY, at bigint NOT NULL, terminal text NOT NULL, seq bigint NOT NULL, op text NOT NULL,
        card text, amount bigint, withdrawal text, code text NOT NULL, balance bigint);
      CREATE INDEX IF NOT EXISTS ${prefix}_journal_request ON ${table('journal')} (terminal, seq);
      CREATE OR REPLACE FUNCTION ${schema}.${prefix}_journal_append_only() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'the journal is append-only'; END $$;
      DROP TRIGGER IF EXISTS ${prefix}_journal_append_only ON ${table('journal')};
      CREATE TRIGGER ${prefix}_journal_append_only BEFORE UPDATE OR DELETE ON ${table('journal')}
        FOR EACH ROW EXECUTE FUNCTION ${schema}.${prefix}_journal_append_only();
    `);
    const meta = await setup.query<{ key: string; value: string }>(`SELECT key, value FROM ${table('meta')} WHERE key IN ('initial_total', 'bank_key_check')`);
    const stored = new Map(meta.rows.map((row) => [row.key, Number(row.value)]));
    if (!stored.has('initial_total')) {
      const accounts = await hashSeedAccounts(options, DEMO_ACCOUNTS, key);
      for (const a of accounts) {
        await setup.query(`INSERT INTO ${table('accounts')} (card, holder, pin_hash, balance) VALUES ($1, $2, $3, $4)`, [a.card, a.holder, a.pinHash, a.balance]);
      }
      await setup.query(`INSERT INTO ${table('meta')} (key, value) VALUES ('initial_total', $1), ('bank_key_check', $2)`, [accounts.reduce((sum, a) => sum + a.balance, 0), key.check]);
    } else if (checkBankKey(stored.get('bank_key_check'), key) === 'upgrade') {
      const legacy = await setup.query<{ card: string; pin_hash: string }>(`SELECT card, pin_hash FROM ${table('accounts')} WHERE starts_with(pin_hash, $1)`, [LEGACY_PIN_HASH_PREFIX]);
      for (const row of legacy.rows) await setup.query(`UPDATE ${table('accounts')} SET pin_hash = $1 WHERE card = $2`, [pepperLegacyPinHash(row.pin_hash, key), row.card]);
      await setup.query(`INSERT INTO ${table('meta')} (key, value) VALUES ('bank_key_check', $1)`, [key.check]);
    }
    await setup.query('COMMIT');
  } catch (error) {
    await setup.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    setup.release();
  }

  const settings = { limits, key };
  const effect = (prepared: PreparedRequest): PostgresEffect => async (client, _payload, context) =>
    runOperationAsync(prepared, context, settings, {
      async lockWithdrawal(id) {
        await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`${schema}.${prefix}:withdrawal:${id}`]);
      },
      async account(card) {
        const result = await client.query<{ card: string; holder: string; pin_hash: string; balance: string; pin_tries: number }>(
          `SELECT card, holder, pin_hash, balance, pin_tries FROM ${table('accounts')} WHERE card = $1 FOR UPDATE`,
          [card],
        );
        const row = result.rows[0];
        return row === undefined ? undefined : ({ card: row.card, holder: row.holder, pinHash: row.pin_hash, balance: Number(row.balance), pinTries: row.pin_tries } satisfies AccountRow);
      },
      async session(token) {
        const result = await client.query<{ token: string; card: string; terminal: string | null; expires_at: string }>(
          `SELECT token, card, terminal, expires_at FROM ${table('sessions')} WHERE token = $1 FOR UPDATE`,
          [token],
        );
        const row = result.rows[0];
        return row === undefined ? undefined : { token: row.token, card: row.card, terminal: row.terminal, expiresAt: Number(row.expires_at) };
      },
      async withdrawal(id) {
        const result = await client.query<{ id: string; terminal: string; session: string | null; card: string | null; amount: string; status: WithdrawalStatus }>(
          `SELECT id, terminal, session, card, amount, status FROM ${table('withdrawals')} WHERE id = $1 FOR UPDATE`,
          [id],
        );
        const row = result.rows[0];
        return row === undefined ? undefined : { id: row.id, terminal: row.terminal, session: row.session, card: row.card, amount: Number(row.amount), status: row.status };
      },
      async write(changes) {
        // Independent statements: on the store's pipelined connection they go out together (one
        // round trip), in this order; on a plain one, one after the other.
        const writes: (() => Promise<unknown>)[] = [];
        const a = changes.account;
        if (a !== undefined) writes.push(() => client.query(`UPDATE ${table('accounts')} SET balance = $1, pin_tries = $2 WHERE card = $3`, [a.balance, a.pinTries, a.card]));
        const purge = changes.purgeExpiredSessionsOf;
        if (purge !== undefined) writes.push(() => client.query(`DELETE FROM ${table('sessions')} WHERE card = $1 AND expires_at <= $2`, [purge.card, purge.now]));
        const gone = changes.deleteSession;
        if (gone !== undefined) writes.push(() => client.query(`DELETE FROM ${table('sessions')} WHERE token = $1`, [gone]));
        const s = changes.putSession;
        if (s !== undefined) {
          writes.push(() =>
            client.query(
              `INSERT INTO ${table('sessions')} (token, card, terminal, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (token) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
              [s.token, s.card, s.terminal, s.expiresAt],
            ),
          );
        }
        const w = changes.putWithdrawal;
        if (w !== undefined) {
          writes.push(() =>
            client.query(
              `INSERT INTO ${table('withdrawals')} (id, terminal, session, card, amount, status) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status`,
              [w.id, w.terminal, w.session, w.card, w.amount, w.status],
            ),
          );
        }
        await sendAll(client, writes);
      },
      async append(e) {
        await client.query(
          `INSERT INTO ${table('journal')} (at, terminal, seq, op, card, amount, withdrawal, code, balance) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [e.at, e.terminal, e.seq, e.op, e.card, e.amount, e.withdrawal, e.code, e.balance],
        );
      },
    });

  let closed = false;
  return {
    kind: 'postgres',
    store,
    pool,
    limits,
    bankKey: key,
    prepare: (request) =>
      prepareRequest(request, async (card) => (await pool.query<{ pin_hash: string }>(`SELECT pin_hash FROM ${table('accounts')} WHERE card = $1`, [card])).rows[0]?.pin_hash, key),
    effect,
    async audit(): Promise<LedgerAudit> {
      const totals = await pool.query<{ initial: string | null; balances: string | null; accounts: string; deposited: string | null }>(
        `SELECT (SELECT value FROM ${table('meta')} WHERE key = 'initial_total') AS initial,
                (SELECT sum(balance) FROM ${table('accounts')}) AS balances,
                (SELECT count(*) FROM ${table('accounts')}) AS accounts,
                (SELECT sum(amount) FROM ${table('journal')} WHERE op = 'deposit' AND code = 'APPROVED') AS deposited`,
      );
      const negative = await pool.query<{ card: string }>(`SELECT card FROM ${table('accounts')} WHERE balance < 0`);
      const withdrawals = await pool.query<{ status: string; count: string; amount: string }>(
        `SELECT status, count(*) AS count, sum(amount) AS amount FROM ${table('withdrawals')} GROUP BY status`,
      );
      const journal = await pool.query<{ id: string; count: string }>(`SELECT terminal || ':' || seq AS id, count(*) AS count FROM ${table('journal')} GROUP BY terminal, seq`);
      const row = totals.rows[0];
      return assembleAudit({
        initialTotal: num(row?.initial),
        deposited: num(row?.deposited),
        balances: num(row?.balances),
        accounts: num(row?.accounts),
        negativeAccounts: negative.rows.map((r) => r.card),
        withdrawals: withdrawals.rows.map((r) => ({ status: r.status, count: num(r.count), amount: num(r.amount) })),
        journal: journal.rows.map((r) => ({ id: r.id, count: num(r.count) })),
      });
    },
    async accounts(): Promise<readonly AccountSummary[]> {
      const result = await pool.query<{ card: string; holder: string; balance: string; pin_tries: number }>(`SELECT card, holder, balance, pin_tries FROM ${table('accounts')} ORDER BY card`);
      return result.rows.map((row) => ({ card: row.card, holder: row.holder, balance: Number(row.balance), locked: row.pin_tries >= MAX_PIN_TRIES }));
    },
    async unlock(card) {
      const result = await pool.query(`UPDATE ${table('accounts')} SET pin_tries = 0 WHERE card = $1`, [card]);
      return (result.rowCount ?? 0) > 0;
    },
    async close() {
      if (closed) return;
      closed = true;
      await store.close();
      if (owned) await pool.end();
    },
  };
}
