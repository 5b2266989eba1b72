import { randomBytes } from 'node:crypto';
import { describeLedgerConformance } from '@netlab/testing/compliance';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { generateBankKeySecret } from '../../src/bank-key.js';
import { createPostgresAtmLedger } from '../../src/postgres/postgres-ledger.js';
import { TEST_ACCOUNTS, TEST_PIN_COST, ledgerUnderTest } from '../ledger-harness.js';

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

/** Every row of every table of `schema`, as JSON lines. */
async function dumpSchema(schema: string): Promise<string[]> {
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const tables = await admin.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1`, [schema]);
    const lines: string[] = [];
    for (const { table_name: name } of tables.rows) {
      const rows = await admin.query(`SELECT * FROM ${schema}."${name}"`);
      for (const row of rows.rows) lines.push(`${name} ${JSON.stringify(row)}`);
    }
    return lines;
  } finally {
    await admin.end();
  }
}

describe.skipIf(!enabled)('PostgreSQL', () => {
  describeLedgerConformance({
    name: 'PostgreSQL',
    open({ now, sessionIdleMs }) {
      const schema = `atm_${run}_${schemas.length + 1}`;
      schemas.push(schema);
      const pools = new Set<pg.Pool>();
      return ledgerUnderTest(
        {
          async open(options) {
            const pool = new pg.Pool({ connectionString: url, max: 16 });
            pools.add(pool);
            const ledger = await createPostgresAtmLedger({ pool, schema, ...options });
            return {
              ...ledger,
              async close() {
                await ledger.close();
                await pool.end();
              },
            };
          },
          dump: () => dumpSchema(schema),
        },
        now,
        sessionIdleMs,
      );
    },
  });

  it('keeps the journal append-only', async () => {
    const schema = `atm_${run}_${schemas.length + 1}`;
    schemas.push(schema);
    const ledger = await createPostgresAtmLedger({ pool: url ?? '', schema, accounts: TEST_ACCOUNTS, pinHashCost: TEST_PIN_COST, bankKey: generateBankKeySecret() });
    try {
      await ledger.pool.query(`INSERT INTO ${schema}.atm_journal (at, terminal, seq, op, code) VALUES (1, 't', 1, 'balance', 'APPROVED')`);
      await expect(ledger.pool.query(`DELETE FROM ${schema}.atm_journal`)).rejects.toThrow(/append-only/);
      await expect(ledger.pool.query(`UPDATE ${schema}.atm_accounts SET balance = -1`)).rejects.toThrow(/check constraint/);
    } finally {
      await ledger.close();
    }
  });

  it('refuses to open a schema with another bank key', async () => {
    const schema = `atm_${run}_${schemas.length + 1}`;
    schemas.push(schema);
    await (await createPostgresAtmLedger({ pool: url ?? '', schema, pinHashCost: TEST_PIN_COST, bankKey: generateBankKeySecret() })).close();
    await expect(createPostgresAtmLedger({ pool: url ?? '', schema, pinHashCost: TEST_PIN_COST, bankKey: generateBankKeySecret() })).rejects.toMatchObject({ code: 'ERR_WRONG_BANK_KEY' });
  });
});
