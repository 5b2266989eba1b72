/**
 * `netlab check atm` end to end: a bank that is already running (`--server`: the kill -9 case is
 * skipped, saying why), a bank the checker starts with its store in `{tmp}`, and a buggy ATM
 * client graded through the JSON report.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTs, startExerciseServer } from '@netlab/exercise-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const ATM = fileURLToPath(new URL('../../atm/src/main.ts', import.meta.url));
const BUGGY_CLIENT = fileURLToPath(new URL('../../../packages/check/test/fixtures/python/atm/client-new-id-on-retry.py', import.meta.url));
const NODE = `"${process.execPath}"`;
const TIMEOUT = { timeout: 180_000 };
const HAS_PYTHON = spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0;
if (!HAS_PYTHON) console.warn('the buggy ATM client case is skipped: python3 is not installed');
const dir = mkdtempSync(join(tmpdir(), 'netlab-check-atm-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface JsonReport {
  readonly exercise: string;
  readonly score: number;
  readonly maxScore: number;
  readonly cases: readonly { readonly id: string; readonly status: string; readonly message: string }[];
}

describe('netlab check atm (real processes)', () => {
  it('grades a running bank (--server): everything passes but kill-restart, skipped for want of --server-cmd', TIMEOUT, async () => {
    const bank = await startExerciseServer(ATM, 'atm', 'tcp', ['--store', `sqlite:${join(dir, 'running.db')}`]);
    try {
      const result = await runTs(MAIN, ['atm', '--server', `127.0.0.1:${bank.port}`, '--format', 'json', '--seed', '4', '--time-scale', '2'], { timeoutMs: 170_000 });
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as JsonReport;
      expect(report.exercise).toBe('atm');
      const notPassed = report.cases.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.status} ${c.message}`);
      expect(notPassed).toEqual(['atm.exactly-once.kill-restart: skip skipped: needs --server-cmd (netlab must be able to kill and restart the server)']);
      expect(report.score).toBe(report.maxScore);
      expect(report.cases.length).toBeGreaterThanOrEqual(25);
    } finally {
      await bank.proc.stop('SIGTERM');
    }
  });

  it('starts the bank with its store in {tmp} and kills and restarts it (--server-cmd --only)', TIMEOUT, async () => {
    const command = `${NODE} --import tsx "${ATM}" server --port {port} --store sqlite:{tmp}/bank.db`;
    const result = await runTs(MAIN, ['atm', '--server-cmd', command, '--only', 'atm.exactly-once', '--seed', '9', '--time-scale', '2'], { timeoutMs: 170_000 });
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/^✓ atm\.exactly-once\.kill-restart /mu);
    expect(result.stdout).toContain('score 6/6');
  });

  it.skipIf(!HAS_PYTHON)(`fails an ATM client that takes a new request id on retry, exit 1, naming both ids${HAS_PYTHON ? '' : ' (skipped: no python3)'}`, TIMEOUT, async () => {
    const command = `python3 -B "${BUGGY_CLIENT}" {host} {port} {card} {pin} withdraw {cents}`;
    const result = await runTs(MAIN, ['atm', '--client-cmd', command, '--format', 'json', '--only', 'atm.client.withdraw,atm.client.lost-reply', '--seed', '2'], { timeoutMs: 170_000 });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as JsonReport;
    expect(report.cases.map((c) => [c.id, c.status])).toEqual([
      ['atm.client.withdraw', 'pass'],
      ['atm.client.lost-reply', 'fail'],
    ]);
    expect(report.cases[1]?.message).toMatch(/expected it again with the same request id (student-[0-9a-f]+)#2; the client sent it as \1#3/u);
  });
});
