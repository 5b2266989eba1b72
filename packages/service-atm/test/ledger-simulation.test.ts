import { replayCommand, simulationSeeds } from '@netlab/testing';
import { describe, expect, it } from 'vitest';
import { runLedgerScenario } from './ledger-simulation.js';

const FILE = 'packages/service-atm/test/ledger-simulation.test.ts';
const { seeds, replaying } = simulationSeeds(300);

describe('the bank under a lossy, crashing simulated network', () => {
  it('gives the same trace for the same seed and a different one for another seed', async () => {
    const a = await runLedgerScenario(7, { traceLimit: 100_000 });
    const b = await runLedgerScenario(7, { traceLimit: 100_000 });
    const c = await runLedgerScenario(8, { traceLimit: 100_000 });
    expect(a.run.traceHash).toBe(b.run.traceHash);
    expect(a.trace).toEqual(b.trace);
    expect(c.run.traceHash).not.toBe(a.run.traceHash);
    expect(a.trace.length).toBeGreaterThan(20);
  });

  it('catches a bank that forgets its completion records (the checks can fail)', async () => {
    let caught = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const result = await runLedgerScenario(seed, { forgetRecords: true });
      caught += result.summary.violations.filter((v) => v.kind === 'applied-twice').length + result.problems.length;
    }
    expect(caught).toBeGreaterThan(0);
  });

  it(`applies every request at most once, every acknowledged one exactly once, and keeps the books (${seeds.length} seeds)`, { timeout: 600_000 }, async () => {
    const failures: string[] = [];
    const totals = { issued: 0, acknowledged: 0, replies: 0, operations: 0, serverCrashes: 0 };
    const started = performance.now();
    for (const seed of seeds) {
      const result = await runLedgerScenario(seed, { traceLimit: replaying ? 1_000_000 : 0 });
      if (replaying) console.log(result.trace.join('\n'));
      totals.issued += result.summary.issued;
      totals.acknowledged += result.summary.acknowledged;
      totals.replies += result.summary.replies;
      totals.operations += result.operations;
      totals.serverCrashes += result.serverCrashes;
      const problems = [...result.summary.violations.map((v) => `${v.kind} ${v.id}: ${v.detail}`), ...result.problems];
      if (problems.length > 0) {
        failures.push(`seed ${seed}: ${problems.slice(0, 5).join('; ')}\n  replay: ${replayCommand(seed, FILE)}`);
        if (failures.length >= 10) break;
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `ledger simulation: ${seeds.length} seeds in ${seconds} s: ${totals.operations} operations, ${totals.issued} requests, ` +
        `${totals.acknowledged} acknowledged, ${totals.replies} replies compared, ${totals.serverCrashes} server crashes`,
    );
    expect(failures, failures.join('\n')).toEqual([]);
    expect(totals.acknowledged).toBe(totals.issued);
    if (!replaying) expect(totals.serverCrashes).toBeGreaterThan(0);
  });
});
