/**
 * The minimal Python client of docs/protocols/atm.md (docs/protocols/atm_client.py, standard
 * library only) against the real server: login with the key exchange, MACed balance, withdrawal
 * and confirmation, deposit, logout. Skipped, loudly, when `python3` is not installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type StartedServer, startServerProcess } from '@netlab/exercise-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const CLIENT = join(import.meta.dirname, '..', '..', '..', 'docs', 'protocols', 'atm_client.py');
const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
const hasPython = python.status === 0;
if (!hasPython) console.warn('SKIPPED: the Python ATM client test needs python3 on the PATH');
const dir = mkdtempSync(join(tmpdir(), 'netlab-atm-python-'));
let server: StartedServer | undefined;
afterAll(async () => {
  await server?.process.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

function run(args: readonly string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync('python3', [CLIENT, '127.0.0.1', String(server?.port ?? 0), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe.skipIf(!hasPython)(`the Python ATM client (${python.stdout.trim() || 'python3'})`, () => {
  it('logs in, reads the balance, withdraws with confirmation and deposits against the real server', { timeout: 120_000 }, async () => {
    server = await startServerProcess(MAIN, ['server', '--port', '0', '--store', `sqlite:${join(dir, 'atm.db')}`, '--pin-cost', '4']);
    expect(run(['123456789', '1234'])).toMatchObject({ code: 0, stdout: 'APPROVED balance 100000\n' });
    expect(run(['123456789', '1234', 'withdraw', '25000'])).toMatchObject({ code: 0, stdout: 'APPROVED withdrew 25000 balance 75000\n' });
    expect(run(['123456789', '1234', 'deposit', '500'])).toMatchObject({ code: 0, stdout: 'APPROVED deposited 500 balance 75500\n' });
    expect(run(['123456789', '9999'])).toMatchObject({ code: 2, stdout: 'DECLINED INCORRECT_PIN incorrect PIN\n' });
    expect(run(['123456789', '1234'])).toMatchObject({ code: 0, stdout: 'APPROVED balance 75500\n' });
  });
});
