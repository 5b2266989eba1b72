import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeLedgerConformance } from '@netlab/testing/compliance';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { generateBankKeySecret } from '../../src/bank-key.js';
import { createSqliteAtmLedger } from '../../src/sqlite/sqlite-ledger.js';
import { TEST_ACCOUNTS, TEST_PIN_COST, ledgerUnderTest } from '../ledger-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'netlab-atm-sqlite-'));
let files = 0;
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every row of every table, as JSON lines. */
function dumpDatabase(db: Database.Database): string[] {
  const tables = db.prepare<[], { name: string }>(`SELECT name FROM sqlite_schema WHERE type = 'table'`).all();
  return tables.flatMap(({ name }) => db.prepare(`SELECT * FROM "${name}"`).all().map((row) => `${name} ${JSON.stringify(row)}`));
}

describeLedgerConformance({
  name: 'SQLite',
  open({ now, sessionIdleMs }) {
    const path = join(dir, `ledger-${++files}.db`);
    return ledgerUnderTest(
      {
        open: (options) => createSqliteAtmLedger({ database: path, ...options, synchronous: 'NORMAL' }),
        dump: () => {
          const db = new Database(path, { readonly: true });
          try {
            return Promise.resolve(dumpDatabase(db));
          } finally {
            db.close();
          }
        },
      },
      now,
      sessionIdleMs,
    );
  },
});

describe('SQLite ledger schema', () => {
  it('keeps the journal append-only and balances non-negative', async () => {
    const path = join(dir, `schema-${++files}.db`);
    const ledger = await createSqliteAtmLedger({ database: path, accounts: TEST_ACCOUNTS, pinHashCost: TEST_PIN_COST, bankKey: generateBankKeySecret() });
    ledger.db.prepare(`INSERT INTO atm_journal (at, terminal, seq, op, code) VALUES (1, 't', 1, 'balance', 'APPROVED')`).run();
    expect(() => ledger.db.prepare('UPDATE atm_journal SET code = ?').run('X')).toThrow(/append-only/);
    expect(() => ledger.db.prepare('DELETE FROM atm_journal').run()).toThrow(/append-only/);
    expect(() => ledger.db.prepare('UPDATE atm_accounts SET balance = -1').run()).toThrow(/CHECK/);
    await ledger.close();
  });

  it('stores no PIN and no PIN block, only keyed salted scrypt hashes, and the key check value', async () => {
    const path = join(dir, `pins-${++files}.db`);
    const secret = generateBankKeySecret();
    const ledger = await createSqliteAtmLedger({ database: path, accounts: [{ card: '123456789', holder: 'X', pin: '739104', balance: 1 }], pinHashCost: TEST_PIN_COST, bankKey: secret });
    const check = ledger.bankKey.check;
    await ledger.close();
    const db = new Database(path, { readonly: true });
    const dump = dumpDatabase(db).join('\n');
    db.close();
    expect(dump).not.toContain('739104');
    expect(dump).not.toContain(secret.toString('hex'));
    expect(dump).toMatch(/kscrypt\$4\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}/);
    expect(dump).toContain(`"key":"bank_key_check","value":${check}`);
  });

  it('creates only a missing file; refuses an empty file, another program\'s database and a missing directory', async () => {
    const open = (database: string) => createSqliteAtmLedger({ database, pinHashCost: TEST_PIN_COST, bankKey: generateBankKeySecret() });
    const empty = join(dir, `empty-${++files}.db`);
    writeFileSync(empty, '');
    await expect(open(empty)).rejects.toMatchObject({ code: 'ERR_STORE_INVALID', details: { reason: 'empty' } });
    const foreign = join(dir, `foreign-${++files}.db`);
    const other = new Database(foreign);
    other.exec('CREATE TABLE notes (text TEXT)');
    other.close();
    await expect(open(foreign)).rejects.toMatchObject({ code: 'ERR_STORE_INVALID', details: { reason: 'not-a-bank' } });
    const garbage = join(dir, `garbage-${++files}.db`);
    writeFileSync(garbage, 'not a database at all, just some text that is long enough to be a header'.repeat(100));
    await expect(open(garbage)).rejects.toMatchObject({ code: 'ERR_STORE_INVALID', details: { reason: 'damaged' } });
    await expect(open(join(dir, 'no-such-dir', 'x.db'))).rejects.toMatchObject({ code: 'ERR_STORE_INVALID', details: { reason: 'cannot-open' } });
  });

  it('refuses to open a store with another bank key', async () => {
    const path = join(dir, `key-${++files}.db`);
    await (await createSqliteAtmLedger({ database: path, pinHashCost: TEST_PIN_COST, bankKey: generateBankKeySecret() })).close();
    await expect(createSqliteAtmLedger({ database: path, pinHashCost: TEST_PIN_COST, bankKey: generateBankKeySecret() })).rejects.toMatchObject({ code: 'ERR_WRONG_BANK_KEY' });
  });

  it('upgrades a store written before bank keys: columns added, PIN hashes keyed, the right PIN still verifies', async () => {
    const path = join(dir, `legacy-${++files}.db`);
    const secret = generateBankKeySecret();
    // A store as the previous version left it: unkeyed hashes, no key check, no bound sessions.
    const old = new Database(path);
    old.exec(`
      CREATE TABLE atm_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE atm_accounts (card TEXT PRIMARY KEY, holder TEXT NOT NULL, pin_hash TEXT NOT NULL, balance INTEGER NOT NULL CHECK (balance >= 0), pin_tries INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
      CREATE TABLE atm_sessions (token TEXT PRIMARY KEY, card TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE atm_withdrawals (id TEXT PRIMARY KEY, terminal TEXT NOT NULL, card TEXT, amount INTEGER NOT NULL, status TEXT NOT NULL) WITHOUT ROWID;
    `);
    const { scryptSync, createHmac } = await import('node:crypto');
    const block = createHmac('sha256', 'netlab-atm-pin-block-v1').update('123456789:4321').digest('hex');
    const salt = Buffer.alloc(16, 1);
    const legacy = `scrypt$4$8$1$${salt.toString('hex')}$${scryptSync(block, salt, 32, { N: 16, r: 8, p: 1 }).toString('hex')}`;
    old.prepare(`INSERT INTO atm_accounts (card, holder, pin_hash, balance) VALUES ('123456789', 'Old', ?, 500)`).run(legacy);
    old.prepare(`INSERT INTO atm_meta (key, value) VALUES ('initial_total', 500)`).run();
    old.close();
    const ledger = await createSqliteAtmLedger({ database: path, pinHashCost: TEST_PIN_COST, bankKey: secret });
    const row = ledger.db.prepare<[], { pin_hash: string }>(`SELECT pin_hash FROM atm_accounts`).get();
    expect(row?.pin_hash).toMatch(/^kscrypt\$4\$8\$1\$/);
    expect(row?.pin_hash).not.toContain(legacy.slice(-64));
    const prepared = await ledger.prepare({ op: 'login', card: '123456789', pinBlock: block, dh: '02'.padStart(512, '0') });
    const { pinHashMatches } = await import('../../src/pin.js');
    expect(pinHashMatches(prepared.pinCandidate ?? '', row?.pin_hash ?? '')).toBe(true);
    await ledger.close();
    // Reopened with the same key: nothing to upgrade, it matches.
    await (await createSqliteAtmLedger({ database: path, pinHashCost: TEST_PIN_COST, bankKey: secret })).close();
  });
});
