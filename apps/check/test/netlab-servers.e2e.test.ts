/**
 * netlab's own servers and clients pass their suites in full: every built-in server suite runs against the
 * real app process (`--server-cmd`), with faults on and a fixed seed.
 */
import { fileURLToPath } from 'node:url';
import { CLIENT_SUITES, SERVER_SUITES, createClientRunner, createServerTarget, runClientSuite, runServerSuite } from '@netlab/check';
import { describe, expect, it } from 'vitest';

const appMain = (exercise: string): string => fileURLToPath(new URL(`../../${exercise}/src/main.ts`, import.meta.url));
/** More arguments per exercise: the ATM bank keeps a fresh store in the run's `{tmp}` (kept across its kill -9); its client gets the suite's card, PIN and amount. */
const SERVER_ARGS: Readonly<Record<string, string>> = { atm: ' --store sqlite:{tmp}/bank.db' };
const CLIENT_ARGS: Readonly<Record<string, string>> = { atm: ' --card {card} --pin {pin} withdraw {amount}' };

describe("netlab's own servers pass their check suites", () => {
  for (const suite of SERVER_SUITES) {
    it(`${suite.exercise}: every case passes`, { timeout: 180_000 }, async () => {
      const command = `"${process.execPath}" --import tsx "${appMain(suite.exercise)}" server --port {port}${SERVER_ARGS[suite.exercise] ?? ''}`;
      const report = await runServerSuite(suite, createServerTarget({ kind: 'command', command, startTimeoutMs: 60_000 }, suite.transport), { seed: 20261201, timeScale: 2 });
      const failures = report.cases.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.status} ${c.message}`);
      expect(failures).toEqual([]);
      expect(report.score).toBe(report.maxScore);
      expect(report.cases.length).toBeGreaterThanOrEqual(7);
    });
  }
});

describe("netlab's own clients pass their check suites", () => {
  for (const suite of CLIENT_SUITES) {
    it(`${suite.exercise} client: every case passes`, { timeout: 180_000 }, async () => {
      const runner = createClientRunner(`"${process.execPath}" --import tsx "${appMain(suite.exercise)}" client --host {host} --port {port}${CLIENT_ARGS[suite.exercise] ?? ''}`);
      const report = await runClientSuite(suite, runner, { seed: 20261201, timeScale: 2 });
      const failures = report.cases.filter((c) => c.status !== 'pass').map((c) => `${c.id}: ${c.status} ${c.message}`);
      expect(failures).toEqual([]);
      expect(report.cases.length).toBeGreaterThanOrEqual(2);
    });
  }
});
