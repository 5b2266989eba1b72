/**
 * The ATM exactly-once chaos run across two real hosts: the bank servers in host A (a network
 * namespace, on A's own address), the 8 ATMs in host B (`netlab atm chaos` itself runs there),
 * no fault proxy, and 20 % of the packets dropped by the kernel in each direction of the link
 * (nftables in A). TCP retransmits underneath the ATMs; UDP loses datagrams the ATMs resend. The
 * server is SIGKILLed 10 times under load and restarted on the same SQLite store, and the books
 * and the exactly-once checks must pass.
 */
import { fileURLToPath } from 'node:url';
import { lines, runCliProcess } from '@netlab/exercise-kit/testing';
import { type TestHosts, createTestHosts, listTestHostNamespaces, parseHostName, resolvePrefix, testHostsSupport } from '@netlab/test-hosts';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const support = await testHostsSupport();
if (!support.ok) console.warn(`skipping the two-hosts ATM chaos suite: ${support.reason}`);

/** Operations stop after this long (the run then fails): the bound on each run. */
const MAX_TIME_MS = 240_000;

describe.skipIf(!support.ok)('atm chaos across two hosts with 20 % kernel loss on the link', () => {
  let hosts: TestHosts;
  beforeEach(async () => {
    hosts = await createTestHosts();
    await hosts.setLoss(0.2);
  });
  afterEach(async () => {
    await hosts.destroy();
  });
  afterAll(async () => {
    const prefix = resolvePrefix();
    expect((await listTestHostNamespaces()).filter((name) => parseHostName(name, prefix)?.pid === process.pid)).toEqual([]);
  });

  for (const [transport, seed] of [['tcp', 1701], ['udp', 1702]] as const) {
    it(`keeps the books over ${transport} through kernel loss and 10 kills (seed ${String(seed)})`, { timeout: MAX_TIME_MS + 120_000 }, async () => {
      const args = [
        'chaos', '--transport', transport, '--clients', '8', '--operations', '200', '--kills', '10', '--seed', String(seed),
        '--direct', '--server-host', hosts.a.address, '--server-netns', hosts.a.name, '--max-time', `${String(MAX_TIME_MS)}ms`,
      ];
      const result = await runCliProcess(MAIN, args, { netns: hosts.b.name, timeoutMs: MAX_TIME_MS + 90_000 });
      const counters = await hosts.a.lossCounters();
      const names = ['TcpRetransSegs', 'TcpExtTCPTimeouts', 'TcpOutSegs'];
      const [tcpA, tcpB] = await Promise.all([hosts.a.kernelCounters(names), hosts.b.kernelCounters(names)]);
      console.log(`${result.stdout}\nnftables on the link (host A): ${JSON.stringify(counters)}\nTCP in A: ${JSON.stringify(tcpA)}\nTCP in B: ${JSON.stringify(tcpB)}`);
      const out = lines(result.stdout);
      expect(out.filter((line) => /^\s+FAIL/.test(line))).toEqual([]);
      expect(out.at(-1)).toBe('PASS: nothing applied twice, nothing acknowledged lost, the books balance');
      expect(result.code).toBe(0);
      expect(out).toContainEqual(expect.stringMatching(/^\s+PASS {2}all operations ran: 1600 of 1600 \(0 failed\)$/));
      expect(out).toContainEqual(expect.stringMatching(/^\s+PASS {2}kills under load: (\d+) of 10$/));
      expect(out).toContainEqual(expect.stringMatching(new RegExp(`none by netlab: ATMs talk to ${hosts.a.address.replaceAll('.', '\\.')} straight`)));
      // The kernel really dropped about a fifth of the link's packets both ways (thousands seen:
      // 0.2 ± 0.05 is more than 10 standard deviations wide).
      for (const direction of [counters.inbound, counters.outbound]) {
        expect(direction.seen).toBeGreaterThan(2000);
        expect(direction.dropped / direction.seen).toBeGreaterThan(0.15);
        expect(direction.dropped / direction.seen).toBeLessThan(0.25);
      }
      const attempts = Number(/attempts\s+(\d+) \(\d+ retransmissions\)/.exec(result.stdout)?.[1]);
      if (transport === 'udp') {
        // Every datagram an ATM sent crossed the link into A once (one attempt, one packet), and
        // nothing else did: the ATMs' own count and the kernel's agree exactly.
        expect(counters.inbound.seen).toBe(attempts);
        expect(Number(/replies from the log\s+(\d+)/.exec(result.stdout)?.[1])).toBeGreaterThan(0);
      } else {
        // The loss happened under TCP: the kernels of both hosts retransmitted segments.
        expect(tcpA.TcpRetransSegs).toBeGreaterThan(0);
        expect(tcpB.TcpRetransSegs).toBeGreaterThan(0);
      }
    });
  }
});
