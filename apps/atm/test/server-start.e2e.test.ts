/**
 * How `atm server` refuses to start, each with one line and nothing left behind (newcomer review
 * D20, reliability review defects 3 and 7): a SQLite path in a directory that does not exist, a
 * busy port (reported before the store is touched), an unreachable PostgreSQL, a store whose bank
 * key is missing.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTs, startServerProcess } from '@netlab/exercise-kit/testing';
import { closedTcpPort } from '@netlab/exercise-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'netlab-atm-start-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('atm server refuses to start', () => {
  it('on a SQLite path whose directory does not exist, creating nothing', async () => {
    const missing = join(dir, 'no', 'such', 'dir');
    const result = await runTs(MAIN, ['server', '--port', '0', '--store', `sqlite:${join(missing, 'x.db')}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: invalid --store sqlite:\S+x\.db: the directory \S+dir does not exist .*\n$/);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it('on a busy port, before the store is opened or its key created', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const address = busy.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const store = join(dir, 'busy.db');
      const result = await runTs(MAIN, ['server', '--port', String(port), '--store', `sqlite:${store}`]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(new RegExp(`^error: cannot listen on tcp://127\\.0\\.0\\.1:${port}: EADDRINUSE \\(port ${port} is in use: another server\\? --port 0 picks a free one\\)\\n$`));
      expect(readdirSync(dir).filter((name) => name.startsWith('busy'))).toEqual([]);
    } finally {
      busy.close();
    }
  });

  it('on a PostgreSQL that is not running, saying PostgreSQL', async () => {
    const port = await closedTcpPort();
    const result = await runTs(MAIN, ['server', '--port', '0', '--store', `postgres://postgres@127.0.0.1:${port}/test?schema=atm_nowhere`, '--bank-key', join(dir, 'pg.key')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^error: cannot use the PostgreSQL store at 127\\.0\\.0\\.1:${port}/test \\(schema atm_nowhere\\): .*ECONNREFUSED.*\\n$`));
    expect(existsSync(join(dir, 'pg.key'))).toBe(false);
  });

  it('on a store whose bank key file is missing, and removes the key it just made', async () => {
    const store = join(dir, 'keyed.db');
    const first = await startServerProcess(MAIN, ['server', '--port', '0', '--store', `sqlite:${store}`, '--pin-cost', '4']);
    await first.process.stop('SIGTERM');
    expect(existsSync(`${store}.key`)).toBe(true);
    rmSync(`${store}.key`);
    const result = await runTs(MAIN, ['server', '--port', '0', '--store', `sqlite:${store}`]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: sqlite:\S+keyed\.db was made with another bank key than the key in \S+keyed\.db\.key \(just created: the store's own key file is missing\): give its key with --bank-key FILE or NETLAB_ATM_BANK_KEY\n$/);
    expect(existsSync(`${store}.key`)).toBe(false);
  });
});
