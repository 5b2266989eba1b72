/**
 * The udp-datetime client against real kernel loss: the server in host A, 8 clients in host B,
 * 20 % of the link's packets dropped by nftables in each direction. The clients' summaries
 * (sent, answered, retried, lost) must agree with the kernel's counters, and their retry rate
 * with the loss rate.
 *
 * The kernel draws the losses (no seed), so the statistical checks are bounds chosen to make a
 * flake very unlikely. Per attempt, a request and its reply both survive with probability
 * q = 0.8 × 0.8 = 0.64. With N = 1,200 requests there are T ≈ N / q ≈ 1,875 attempts:
 * - the share of attempts answered, q̂ = answered / T, has σ = √(q(1−q)/T) ≈ 0.011: the bound
 *   0.64 ± 0.06 is 5.4 σ (two-sided P ≈ 7·10⁻⁸);
 * - retries per request (attempts until success, geometric, sd √(1−q)/q ≈ 0.94) average
 *   1/q − 1 = 0.5625 with σ ≈ 0.94/√N ≈ 0.027: the bound ± 0.15 is 5.5 σ;
 * - the kernel's own drop share per direction, over ~1,875 and ~1,500 packets, has σ ≤ 0.0103:
 *   0.2 ± 0.06 is ≥ 5.8 σ;
 * - a request is lost after 11 failed attempts: 0.36¹¹ ≈ 1.3·10⁻⁵ each, ~0.016 expected over
 *   the run: at most 3 (P(more) ≈ 3·10⁻⁹).
 * The counts the clients and the kernel both see must agree exactly: every attempt is one datagram
 * into A, the server answers each one that arrives, and a reply reaches its client or is dropped.
 * Only a reply later than the 150 ms timeout (an event loop stalled on a loaded machine) would be
 * seen by the kernel but not counted as an answer: at most 1 % of the attempts is allowed for it.
 */
import { fileURLToPath } from 'node:url';
import { lines, runCliProcess, startServerProcess } from '@netlab/exercise-kit/testing';
import { createTestHosts, listTestHostNamespaces, parseHostName, resolvePrefix, testHostsSupport } from '@netlab/test-hosts';
import { afterAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const support = await testHostsSupport();
if (!support.ok) console.warn(`skipping the udp-datetime kernel-loss suite: ${support.reason}`);

const CLIENTS = 8;
const REQUESTS = 150;
const LOSS = 0.2;

interface Summary {
  readonly sent: number;
  readonly answered: number;
  readonly retried: number;
  readonly lost: number;
}

function parseSummary(stdout: string): Summary {
  const match = /^summary: sent (\d+), answered (\d+), retried (\d+), lost (\d+)$/m.exec(stdout);
  if (match === null) throw new Error(`no summary line in:\n${stdout}`);
  return { sent: Number(match[1]), answered: Number(match[2]), retried: Number(match[3]), lost: Number(match[4]) };
}

describe.skipIf(!support.ok)('udp-datetime across two hosts with 20 % kernel loss each way', () => {
  afterAll(async () => {
    const prefix = resolvePrefix();
    expect((await listTestHostNamespaces()).filter((name) => parseHostName(name, prefix)?.pid === process.pid)).toEqual([]);
  });

  it(`${String(CLIENTS)} clients × ${String(REQUESTS)} requests: retries and summaries match the loss the kernel applied`, { timeout: 240_000 }, async () => {
    const hosts = await createTestHosts();
    try {
      const server = await startServerProcess(MAIN, ['server', '--host', hosts.a.address, '--port', '0', '--utc'], { netns: hosts.a.name, timeoutMs: 60_000 });
      try {
        await hosts.setLoss(LOSS);
        const args = (seed: number): string[] => ['client', '--host', hosts.a.address, '--port', String(server.port), '--count', String(REQUESTS), '--interval', '1-2ms', '--timeout', '150ms', '--retries', '10', '--seed', String(seed)];
        const runs = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => runCliProcess(MAIN, args(i + 1), { netns: hosts.b.name, timeoutMs: 180_000 })));
        const counters = await hosts.a.lossCounters();
        const summaries = runs.map((run) => parseSummary(run.stdout));
        const total = summaries.reduce((sum, s) => ({ sent: sum.sent + s.sent, answered: sum.answered + s.answered, retried: sum.retried + s.retried, lost: sum.lost + s.lost }), { sent: 0, answered: 0, retried: 0, lost: 0 });
        console.log(`clients: ${JSON.stringify(total)}\nnftables on the link (host A): ${JSON.stringify(counters)}`);

        // Each client's own summary is consistent with the lines it printed.
        for (const [i, run] of runs.entries()) {
          const summary = summaries[i] ?? parseSummary('');
          expect(summary.sent).toBe(REQUESTS);
          expect(summary.answered + summary.lost).toBe(REQUESTS);
          const out = lines(run.stdout);
          expect(out.filter((line) => line.includes(' → lost '))).toHaveLength(summary.lost);
          expect(out.filter((line) => /^SEND_(DATE|TIME) → \d/.test(line))).toHaveLength(summary.answered);
          expect(run.code).toBe(0);
        }

        // Exact: the clients' attempts are the datagrams the kernel saw arrive in A; the server
        // answered every one that was not dropped; the answers are the replies that got through.
        const attempts = total.sent + total.retried;
        expect(counters.inbound.seen).toBe(attempts);
        expect(counters.outbound.seen).toBe(counters.inbound.seen - counters.inbound.dropped);
        const delivered = counters.outbound.seen - counters.outbound.dropped;
        expect(total.answered).toBeLessThanOrEqual(delivered);
        expect(delivered - total.answered).toBeLessThanOrEqual(Math.ceil(0.01 * attempts));

        // Statistical (bounds in the module comment).
        const q = (1 - LOSS) ** 2;
        expect(Math.abs(total.answered / attempts - q)).toBeLessThan(0.06);
        expect(Math.abs(total.retried / total.sent - (1 / q - 1))).toBeLessThan(0.15);
        for (const direction of [counters.inbound, counters.outbound]) expect(Math.abs(direction.dropped / direction.seen - LOSS)).toBeLessThan(0.06);
        expect(total.lost).toBeLessThanOrEqual(3);
        // The loss a student would compute from the summaries: 1 − √(answered / attempts) per direction.
        expect(Math.abs(1 - Math.sqrt(total.answered / attempts) - LOSS)).toBeLessThan(0.05);
      } finally {
        await server.process.stop('SIGKILL');
      }
    } finally {
      await hosts.destroy();
    }
  });
});
