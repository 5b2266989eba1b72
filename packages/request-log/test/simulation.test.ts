import { replayCommand, simulationSeeds } from '@netlab/testing';
import { describe, expect, it } from 'vitest';
import { runScenario } from './simulation-scenario.js';

const FILE = 'packages/request-log/test/simulation.test.ts';
const { seeds, replaying } = simulationSeeds(10_000);

describe('exactly-once under a lossy, crashing simulated network', () => {
  it('gives the same trace for the same seed and a different one for another seed', async () => {
    const a = await runScenario(4242, { traceLimit: 100_000 });
    const b = await runScenario(4242, { traceLimit: 100_000 });
    const c = await runScenario(4243, { traceLimit: 100_000 });
    expect(a.run.traceHash).toBe(b.run.traceHash);
    expect(a.trace).toEqual(b.trace);
    expect(c.run.traceHash).not.toBe(a.run.traceHash);
    expect(a.trace.length).toBeGreaterThan(50);
  });

  it('catches a server that forgets its completion records (the checker can fail)', async () => {
    let doubled = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const result = await runScenario(seed, { forgetRecords: true });
      doubled += result.summary.violations.filter((v) => v.kind === 'applied-twice').length;
    }
    expect(doubled).toBeGreaterThan(0);
  });

  it(`applies every request at most once, every acknowledged one exactly once, with identical replies (${seeds.length} seeds)`, { timeout: 600_000 }, async () => {
    const failures: string[] = [];
    const totals = { issued: 0, acknowledged: 0, failed: 0, replies: 0, serverCrashes: 0, clientCrashes: 0, unknowns: 0 };
    const started = performance.now();
    for (const seed of seeds) {
      const result = await runScenario(seed, { traceLimit: replaying ? 1_000_000 : 0 });
      if (replaying) console.log(result.trace.join('\n'));
      totals.issued += result.summary.issued;
      totals.acknowledged += result.summary.acknowledged;
      totals.failed += result.summary.failed;
      totals.replies += result.summary.replies;
      totals.serverCrashes += result.serverCrashes;
      totals.clientCrashes += result.clientCrashes;
      totals.unknowns += result.unknowns;
      const problems = [...result.summary.violations.map((v) => `${v.kind} ${v.id}: ${v.detail}`), ...result.problems];
      if (problems.length > 0) {
        failures.push(`seed ${seed}: ${problems.slice(0, 5).join('; ')}\n  replay: ${replayCommand(seed, FILE)}`);
        if (failures.length >= 10) break;
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `simulation: ${seeds.length} seeds in ${seconds} s: ${totals.issued} requests, ${totals.acknowledged} acknowledged, ` +
        `${totals.failed} failed effects, ${totals.replies} replies compared, ${totals.unknowns} unknown outcomes retried, ` +
        `${totals.serverCrashes} server crashes, ${totals.clientCrashes} client restarts`,
    );
    expect(failures, failures.join('\n')).toEqual([]);
    expect(totals.acknowledged + totals.failed).toBe(totals.issued);
    if (!replaying) {
      expect(totals.serverCrashes).toBeGreaterThan(0);
      expect(totals.clientCrashes).toBeGreaterThan(0);
      expect(totals.unknowns).toBeGreaterThan(0);
    }
  });
});
