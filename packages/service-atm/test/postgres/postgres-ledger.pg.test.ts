import { randomBytes } from 'node:crypto';
import type { PostgresEffect } from '@netlab/request-log/postgres';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresAtmLedger } from '../../src/postgres/postgres-ledger.js';
import { type LedgerHandle, TEST_ACCOUNTS, TEST_PIN_COST, describeLedgerConformance } from '../ledger-conformance.js';

const url = process.env.NETLAB_PG_URL;
const enabled = url !== undefined && url !== '';
if (!enabled) console.warn('SKIPPED: PostgreSQL ATM ledger tests need NETLAB_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
const run = randomBytes(4).toString('hex');
const schemas: string[] = [];

afterAll(async () => {
  if (!enabled) return;
  const admin = new pg.Pool({ connectionString: url });
  for (const schema of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
});

describe.skipIf(!enabled)('PostgreSQL', () => {
  describeLedgerConformance<PostgresEffect>({
    name: 'PostgreSQL',
    async open({ sessionIdleMs }) {
      const schema = `atm_${run}_${schemas.length + 1}`;
      schemas.push(schema);
      const limits = sessionIdleMs === undefined ? {} : { sessionIdleMs };
      const make = async (): Promise<LedgerHandle<PostgresEffect>> => {
        const pool = new pg.Pool({ connectionString: url, max: 16 });
        const ledger = await createPostgresAtmLedger({ pool, schema, accounts: TEST_ACCOUNTS, pinHashCost: TEST_PIN_COST, limits });
        const close = async (): Promise<void> => {
          await ledger.close();
          await pool.end();
        };
        return { ledger, reopen: async () => { await close(); return make(); }, close };
      };
      return make();
    },
  });

  it('keeps the journal append-only', async () => {
    const schema = `atm_${run}_${schemas.length + 1}`;
    schemas.push(schema);
    const ledger = await createPostgresAtmLedger({ pool: url ?? '', schema, accounts: TEST_ACCOUNTS, pinHashCost: TEST_PIN_COST });
    try {
      await ledger.pool.query(`INSERT INTO ${schema}.atm_journal (at, terminal, seq, op, code) VALUES (1, 't', 1, 'balance', 'APPROVED')`);
      await expect(ledger.pool.query(`DELETE FROM ${schema}.atm_journal`)).rejects.toThrow(/append-only/);
      await expect(ledger.pool.query(`UPDATE ${schema}.atm_accounts SET balance = -1`)).rejects.toThrow(/check constraint/);
    } finally {
      await ledger.close();
    }
  });
});
