import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, createRequestLog } from '../src/index.js';
import { type PostgresEffect, type PostgresStore, createPostgresStore } from '../src/postgres/index.js';
import { type StoreHandle, describeStoreConformance } from '@netlab/testing/compliance';
import { codeOf, request } from './helpers.js';

const url = process.env.NETLAB_PG_URL;
if (url === undefined || url === '') {
  console.warn('SKIPPED: PostgreSQL request-log tests need NETLAB_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
}
const run = randomBytes(4).toString('hex');
const schemas: string[] = [];
let admin: pg.Pool | undefined;

type PgHandle = StoreHandle<PostgresEffect> & { readonly store: PostgresStore };

async function open(schema = `rl_${run}_${schemas.length + 1}`): Promise<PgHandle> {
  if (!schemas.includes(schema)) schemas.push(schema);
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  const store = await createPostgresStore({ pool, schema, lockTimeoutMs: 10_000 });
  await pool.query(`CREATE TABLE IF NOT EXISTS ${schema}.accounts (id text PRIMARY KEY, balance bigint NOT NULL)`);
  const add =
    (account: string, amount: number): PostgresEffect =>
    async (client) => {
      const result = await client.query<{ balance: string }>(
        `INSERT INTO ${schema}.accounts (id, balance) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET balance = accounts.balance + EXCLUDED.balance RETURNING balance`,
        [account, amount],
      );
      return Number(result.rows[0]?.balance);
    };
  return {
    store,
    createLog: (options) => createRequestLog({ ...options, store }),
    add,
    addThenThrow: (account, amount) => async (client, payload, context) => {
      await add(account, amount)(client, payload, context);
      throw new Error('boom');
    },
    async balance(account) {
      const result = await pool.query<{ balance: string }>(`SELECT balance FROM ${schema}.accounts WHERE id = $1`, [account]);
      return Number(result.rows[0]?.balance ?? 0);
    },
    async reopen() {
      await pool.end();
      return open(schema);
    },
    async close() {
      await store.close();
      await pool.end();
    },
  };
}

describe.skipIf(url === undefined || url === '')('PostgreSQL', () => {
  beforeAll(() => {
    admin = new pg.Pool({ connectionString: url, max: 2 });
  });
  afterAll(async () => {
    for (const schema of schemas) await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end();
  });

  describeStoreConformance<PostgresEffect>({ name: 'PostgreSQL', open: () => open() });

  describe('PostgreSQL store', () => {
    it('runs a request once when two store instances (two pools, as two replicas) get it at the same moment', async () => {
      const a = await open();
      const b = await open(schemas.at(-1));
      try {
        const logA = createRequestLog({ store: a.store });
        const logB = createRequestLog({ store: b.store });
        for (let seq = 1; seq <= 30; seq++) {
          const same = request('twin', seq, seq - 1, { seq });
          const [ra, rb] = await Promise.all([logA.execute(same, a.add('x', 1)), logB.execute(same, b.add('x', 1))]);
          expect(ra.status === 'done' && rb.status === 'done' && ra.body === rb.body).toBe(true);
        }
        expect(await a.balance('x')).toBe(30);
        expect(logA.stats().fresh + logB.stats().fresh).toBe(30);
        expect(logA.stats().duplicates + logB.stats().duplicates).toBe(30);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('stores hostile payload and reply text byte for byte through parameters, and replays it identically', async () => {
      const h = await open();
      try {
        const log = createRequestLog({ store: h.store });
        const hostile = { quote: "it's'; DROP TABLE accounts; --", backslash: 'C:\\path\\\'x', dollars: '$$ $tag$ $1', unicode: 'é€😀\u2028', ctl: '\t\n\r\u0001' };
        const first = await log.execute(request('evil', 1, 0, hostile), async () => Promise.resolve(hostile));
        const again = await log.execute(request('evil', 1, 0, hostile), h.add('never', 1));
        expect(first).toMatchObject({ status: 'done', replay: false });
        expect(again).toMatchObject({ status: 'done', replay: true });
        expect(again.status === 'done' && first.status === 'done' && again.body === first.body).toBe(true);
        expect(first.status === 'done' && JSON.parse(first.body)).toEqual({ ok: true, value: hostile });
        const stored = await admin?.query<{ payload: string }>(`SELECT payload FROM ${h.store.tables.records} WHERE client_id = 'evil'`);
        expect(stored?.rows[0]?.payload).toBe(canonicalJson(hostile));
        expect(await h.balance('never')).toBe(0);
      } finally {
        await h.close();
      }
    });

    it('records nothing and answers ERR_UNAVAILABLE when the effect hits a transient database error', async () => {
      const h = await open();
      try {
        const log = createRequestLog({ store: h.store });
        const reply = await log.execute(request('c1', 1, 0, {}), async (client) => {
          await client.query(`INSERT INTO ${h.store.tables.clients.split('.')[0]!}.accounts (id, balance) VALUES ('t', 1)`);
          const error = Object.assign(new Error('could not serialize access'), { code: '40001' });
          throw error;
        });
        expect(codeOf(reply)).toBe('ERR_UNAVAILABLE');
        expect(await h.balance('t')).toBe(0);
        expect((await h.store.counts()).records).toBe(0);
        const retried = await log.execute(request('c1', 1, 0, {}), h.add('t', 5));
        expect(codeOf(retried)).toBe('done');
        expect(await h.balance('t')).toBe(5);
      } finally {
        await h.close();
      }
    });

    it('collects every record below a watermark that jumps over several seqs at once', async () => {
      const h = await open();
      try {
        const log = createRequestLog({ store: h.store });
        for (let seq = 1; seq <= 5; seq++) expect(codeOf(await log.execute(request('j', seq, 0, { seq }), h.add('j', 1)))).toBe('done');
        expect((await h.store.counts()).records).toBe(5);
        expect(codeOf(await log.execute(request('j', 6, 5, { seq: 6 }), h.add('j', 1)))).toBe('done');
        expect((await h.store.counts()).records).toBe(1);
      } finally {
        await h.close();
      }
    });

    it('prepares its statements again after someone deallocates them on a shared connection', async () => {
      const schema = `rl_${run}_discard`;
      schemas.push(schema);
      const pool = new pg.Pool({ connectionString: url, max: 1 });
      const store = await createPostgresStore({ pool, schema });
      try {
        const log = createRequestLog({ store });
        const effect: PostgresEffect = () => 'ok';
        expect(codeOf(await log.execute(request('d', 1, 0, {}), effect))).toBe('done');
        await pool.query('DEALLOCATE ALL');
        // The one request that finds its statements gone fails retryably, having committed nothing...
        expect(codeOf(await log.execute(request('d', 2, 1, {}), effect))).toBe('ERR_UNAVAILABLE');
        expect((await store.counts()).records).toBe(1);
        // ...and its retry runs on statements prepared again.
        expect(codeOf(await log.execute(request('d', 2, 1, {}), effect))).toBe('done');
        expect(codeOf(await log.execute(request('d', 3, 2, {}), effect))).toBe('done');
      } finally {
        await store.close();
        await pool.end();
      }
    });

    for (const mode of ['early', 'pipelined', 'sequential'] as const) {
      it(`in mode ${mode}, runs a request once, replays its duplicate and undoes the duplicate's effect`, async () => {
        const schema = `rl_${run}_mode_${mode}`;
        schemas.push(schema);
        const pool = new pg.Pool({ connectionString: url, max: 2 });
        const store = await createPostgresStore({ pool, schema, mode });
        try {
          await pool.query(`CREATE TABLE ${schema}.hits (n integer NOT NULL)`);
          const hit: PostgresEffect = async (client) => {
            await client.query(`INSERT INTO ${schema}.hits (n) VALUES (1)`);
            return (await client.query<{ c: string }>(`SELECT count(*) AS c FROM ${schema}.hits`)).rows[0]?.c ?? null;
          };
          const log = createRequestLog({ store });
          const first = await log.execute(request('m', 1, 0, { a: 1 }), hit);
          const again = await log.execute(request('m', 1, 0, { a: 1 }), hit);
          // Seq 2 acknowledges seq 1 (its record is collected): seq 1 is then stale, never run again.
          const next = await log.execute(request('m', 2, 1, { a: 2 }), hit);
          const stale = await log.execute(request('m', 1, 0, { a: 1 }), hit);
          expect(first).toMatchObject({ status: 'done', replay: false });
          expect(again.status === 'done' && first.status === 'done' && again.replay && again.body === first.body).toBe(true);
          expect(next).toMatchObject({ status: 'done', replay: false });
          expect(codeOf(stale)).toBe('ERR_STALE');
          expect(Number((await pool.query<{ c: string }>(`SELECT count(*) AS c FROM ${schema}.hits`)).rows[0]?.c)).toBe(2);
          expect(await store.counts()).toEqual({ clients: 1, records: 1 });
        } finally {
          await store.close();
          await pool.end();
        }
      });
    }

    it('refuses an unknown mode with ERR_INVALID_OPTION', async () => {
      await expect(createPostgresStore({ pool: url ?? '', mode: 'fast' as never })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    });

    it('rolls back an effect whose SQL fails and records that failure', async () => {
      const h = await open();
      try {
        const log = createRequestLog({ store: h.store });
        const reply = await log.execute(request('c1', 1, 0, {}), async (client, payload, context) => {
          await h.add('u', 3)(client, payload, context);
          await client.query('SELECT * FROM no_such_table');
          return null;
        });
        expect(reply.status === 'done' && reply.body).toContain('ERR_EFFECT_FAILED');
        expect(await h.balance('u')).toBe(0);
        expect((await h.store.counts()).records).toBe(1);
      } finally {
        await h.close();
      }
    });
  });
});
