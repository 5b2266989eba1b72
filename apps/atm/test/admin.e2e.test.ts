/**
 * `netlab atm accounts`, `atm unlock CARD` and `atm reset` on a real store, next to a real
 * server, and their one-line refusals (missing, memory, damaged store; unknown card; reset
 * without --yes).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTs, startServerProcess } from '@netlab/exercise-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'netlab-atm-admin-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});
const TIMEOUT = { timeout: 120_000 };

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('error:'));
}

describe('atm accounts / unlock / reset', () => {
  it('lists the accounts, unlocks a card locked by three wrong PINs while the server runs, and resets the store', TIMEOUT, async () => {
    const path = join(dir, 'lab.db');
    const store = `sqlite:${path}`;
    const server = await startServerProcess(MAIN, ['server', '--port', '0', '--store', store, '--pin-cost', '4']);
    try {
      const client = (pin: string): Promise<{ code: number; stdout: string }> => runTs(MAIN, ['client', '--port', String(server.port), '--card', '1000000004', '--pin', pin, 'balance']);
      for (const pin of ['1111', '2222', '3333']) expect((await client(pin)).code).toBe(2);
      expect((await client('1234')).stdout).toMatch(/^DECLINED PIN_TRIES_EXCEEDED/u);
      const listed = await runTs(MAIN, ['accounts', '--store', store]);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/^1000000004 +Kader +1200\.00 {2}locked \(netlab atm unlock 1000000004\)$/mu);
      expect(listed.stdout).toMatch(/^123456789 +Lab User +1000\.00 {2}ok$/mu);
      const json = await runTs(MAIN, ['accounts', '--store', store, '--json']);
      expect(JSON.parse(json.stdout)).toContainEqual({ card: '1000000004', holder: 'Kader', balance: 120000, locked: true });
      const unlocked = await runTs(MAIN, ['unlock', '1000000004', '--store', store]);
      expect(unlocked).toMatchObject({ code: 0, stdout: 'unlocked 1000000004\n' });
      expect(await client('1234')).toMatchObject({ code: 0, stdout: 'OK balance 1200.00\n' });
      const unknown = await runTs(MAIN, ['unlock', '42', '--store', store]);
      expect(unknown.code).toBe(1);
      expect(errorLines(unknown.stderr)).toEqual([`error: no account with card 42 in ${store} (netlab atm accounts lists them)`]);
    } finally {
      await server.process.stop('SIGTERM');
    }
    const refused = await runTs(MAIN, ['reset', '--store', store]);
    expect(refused.code).toBe(1);
    expect(errorLines(refused.stderr)[0]).toMatch(/^error: reset would delete .*lab\.db.*: stop any server using it, then add --yes$/u);
    expect(existsSync(path)).toBe(true);
    const reset = await runTs(MAIN, ['reset', '--store', store, '--yes']);
    expect(reset.code).toBe(0);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.key`)).toBe(false);
  });

  it('refuses a missing, an in-memory and a damaged store with one line and no stack', TIMEOUT, async () => {
    const damaged = join(dir, 'damaged.db');
    writeFileSync(damaged, 'this is not a database, it is a note\n');
    const [missing, memory, broken] = await Promise.all([
      runTs(MAIN, ['accounts', '--store', `sqlite:${join(dir, 'nothing-here.db')}`]),
      runTs(MAIN, ['unlock', '123456789', '--store', 'memory']),
      runTs(MAIN, ['accounts', '--store', `sqlite:${damaged}`]),
    ]);
    for (const result of [missing, memory, broken]) {
      expect(result.code).toBe(1);
      expect(errorLines(result.stderr)).toHaveLength(1);
      expect(result.stderr).not.toMatch(/^\s+at /mu);
    }
    expect(missing.stderr).toMatch(/^error: no store at .*nothing-here\.db \(a server creates it/mu);
    expect(existsSync(join(dir, 'nothing-here.db'))).toBe(false);
    expect(memory.stderr).toMatch(/^error: --store memory lives only inside a running server/mu);
    expect(broken.stderr).toMatch(/^error: store .*damaged\.db is damaged/mu);
  });
});
