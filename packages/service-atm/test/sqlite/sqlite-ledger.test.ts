import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqliteEffect } from '@netlab/request-log/sqlite';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteAtmLedger } from '../../src/sqlite/sqlite-ledger.js';
import { type LedgerHandle, TEST_ACCOUNTS, TEST_PIN_COST, describeLedgerConformance } from '../ledger-conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'netlab-atm-sqlite-'));
let files = 0;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeLedgerConformance<SqliteEffect>({
  name: 'SQLite',
  async open({ sessionIdleMs }) {
    const path = join(dir, `ledger-${++files}.db`);
    const limits = sessionIdleMs === undefined ? {} : { sessionIdleMs };
    const make = async (): Promise<LedgerHandle<SqliteEffect>> => {
      const ledger = await createSqliteAtmLedger({ database: path, accounts: TEST_ACCOUNTS, pinHashCost: TEST_PIN_COST, limits, synchronous: 'NORMAL' });
      return { ledger, reopen: async () => { await ledger.close(); return make(); }, close: () => ledger.close() };
    };
    return make();
  },
});

describe('SQLite ledger schema', () => {
  it('keeps the journal append-only and balances non-negative', async () => {
    const path = join(dir, `schema-${++files}.db`);
    const ledger = await createSqliteAtmLedger({ database: path, accounts: TEST_ACCOUNTS, pinHashCost: TEST_PIN_COST });
    ledger.db.prepare(`INSERT INTO atm_journal (at, terminal, seq, op, code) VALUES (1, 't', 1, 'balance', 'APPROVED')`).run();
    expect(() => ledger.db.prepare('UPDATE atm_journal SET code = ?').run('X')).toThrow(/append-only/);
    expect(() => ledger.db.prepare('DELETE FROM atm_journal').run()).toThrow(/append-only/);
    expect(() => ledger.db.prepare('UPDATE atm_accounts SET balance = -1').run()).toThrow(/CHECK/);
    await ledger.close();
  });

  it('stores no PIN and no PIN block, only salted scrypt hashes', async () => {
    const path = join(dir, `pins-${++files}.db`);
    const ledger = await createSqliteAtmLedger({ database: path, accounts: [{ card: '123456789', holder: 'X', pin: '739104', balance: 1 }], pinHashCost: TEST_PIN_COST });
    await ledger.close();
    const db = new Database(path, { readonly: true });
    const dump = JSON.stringify(db.prepare('SELECT * FROM atm_accounts').all());
    db.close();
    expect(dump).not.toContain('739104');
    expect(dump).toMatch(/scrypt\$4\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}/);
  });
});
