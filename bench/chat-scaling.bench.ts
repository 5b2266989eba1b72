/**
 * How the chat room's cost grows with its size (issue 16's scaling table): 100, 1,000 and 10,000
 * members on loopback, our room server (`netlab chat server`'s stack, chat-fanout-server.ts `ours`,
 * flood limits raised) in its own process, the members on raw node:net sockets in two client
 * processes (chat-fanout-client.ts).
 *
 * Run: node --import tsx --expose-gc bench/chat-scaling.bench.ts   (about 2 min; `pnpm bench chat-scaling`)
 *
 * For each size, in a fresh server process:
 * - memory per member: growth of the server's live memory (live JS heap + RSS outside V8's heap,
 *   chat-bench-kit.ts `liveBytes`; see chat-fanout.bench.ts for why not raw RSS) and JS heap, after GC, from no connection to every member logged in and
 *   idle, divided by the members. At 100 members this is dominated by fixed costs (JIT code, first
 *   buffers): read the 1,000 and 10,000 rows;
 * - delivery: offered deliveries per second (lines per second × members) in steps of STEP_MS:
 *   deliveries per second received while sending, p50/p99 of every delivery's latency (send time
 *   in the line, system-wide monotonic clock). A step that does not drain in DRAIN_MS or has p99
 *   over 1 s ends that size's ladder.
 * A size whose descriptors the hard `ulimit -n` cannot hold, or whose logins take longer than
 * LOGIN_DEADLINE_MS (every login is announced to the room: n²/2 deliveries), is skipped with the
 * reason printed.
 *
 * No goal: the table shows how delivery rate, tail latency and memory grow with the room.
 */
import type { ChildProcess } from 'node:child_process';
import { type ServerMemory, type StepResult, ask, closeClients, fileLimits, forkChild, liveBytes, next, runStep, sleep, stop } from './chat-bench-kit.js';
import { figure, fmt, table } from './harness.js';

const SIZES = [100, 1000, 10_000];
// Deliveries per second offered (each size sends OFFERED / members lines per second).
const OFFERED = [250_000, 1_000_000, 2_000_000];
const CLIENT_PROCESSES = 2;
const SENDERS_PER_PROCESS = 10;
const STEP_MS = 2000;
const DRAIN_MS = 5000;
const FD_MARGIN = 64;
// Logging in a size's members may take this long before the size is skipped.
const LOGIN_DEADLINE_MS = 120_000;

interface SizeResult {
  readonly members: number;
  readonly loginSeconds: number;
  readonly rssPerMember: number;
  readonly heapPerMember: number;
  readonly steps: (StepResult & { offered: number })[];
}

const limits = fileLimits();

async function measureSize(members: number): Promise<SizeResult | string> {
  const needed = members + FD_MARGIN;
  if (limits.hard < needed) return `skipped: ulimit -n hard limit ${limits.hard} < ${needed} descriptors the server needs; raise it (as root) and rerun`;
  const fileLimit = limits.soft < needed ? Math.min(limits.hard, needed * 2) : undefined;
  const server = forkChild('chat-fanout-server.ts', ['ours', String(members)], { fileLimit });
  const clients: ChildProcess[] = [];
  try {
    const { port } = await next<{ port: number }>(server, 'ready');
    await sleep(300);
    const before = await ask<ServerMemory>(server, { type: 'memory' }, 'memory');
    const share = Math.ceil(members / CLIENT_PROCESSES);
    const t0 = performance.now();
    for (let i = 0; i < CLIENT_PROCESSES; i++) {
      const count = Math.min(share, members - i * share);
      clients.push(forkChild('chat-fanout-client.ts', [String(port), String(count), String(i * share)], { fileLimit }));
    }
    try {
      await Promise.all(clients.map((client) => next(client, 'ready', LOGIN_DEADLINE_MS)));
    } catch {
      return `skipped: the logins did not finish within ${LOGIN_DEADLINE_MS / 1000} s (each login is announced to the whole room, ${fmt((members * members) / 2)} deliveries in all; the machine is too busy)`;
    }
    const loginSeconds = (performance.now() - t0) / 1000;
    console.log(`${fmt(members)} members logged in after ${loginSeconds.toFixed(1)} s`);
    await sleep(500);
    const after = await ask<ServerMemory>(server, { type: 'memory' }, 'memory');
    const steps: SizeResult['steps'] = [];
    for (const offered of OFFERED) {
      const rate = offered / members;
      const result = await runStep(clients, { rate, members, senders: SENDERS_PER_PROCESS, durationMs: STEP_MS, drainMs: DRAIN_MS });
      steps.push({ ...result, offered });
      console.log(
        `${fmt(members)} members: offered ${fmt(offered)}/s → ${fmt(result.delivered)}/s, p50 ${result.p50.toFixed(1)} ms, p99 ${result.p99.toFixed(1)} ms${result.drained ? '' : ' (did not drain)'}`,
      );
      if (!result.drained || result.p99 > 1000) break;
      await sleep(300);
    }
    return {
      members,
      loginSeconds,
      rssPerMember: (liveBytes(after) - liveBytes(before)) / members,
      heapPerMember: (after.heapUsed - before.heapUsed) / members,
      steps,
    };
  } finally {
    await closeClients(clients);
    await stop(server);
  }
}

console.log(`node ${process.version}, sizes ${SIZES.join(', ')}, ${CLIENT_PROCESSES} client processes, ulimit -n ${limits.soft} (hard ${limits.hard})`);
const results: SizeResult[] = [];
for (const members of SIZES) {
  const result = await measureSize(members);
  if (typeof result === 'string') console.log(`${fmt(members)} members: ${result}`);
  else results.push(result);
}

const rows: string[][] = [];
for (const r of results) {
  const ok = r.steps.filter((s) => s.drained && s.p99 < 50).sort((a, b) => b.delivered - a.delivered)[0];
  const ceiling = Math.max(0, ...r.steps.map((s) => s.delivered));
  figure(`chat scaling ${r.members} members: live memory per member (heap + outside V8)`, r.rssPerMember, 'bytes');
  figure(`chat scaling ${r.members} members: heap per member`, r.heapPerMember, 'bytes');
  figure(`chat scaling ${r.members} members: deliveries/s with p99 < 50 ms`, ok?.delivered ?? 0, 'deliveries/s');
  figure(`chat scaling ${r.members} members: ceiling deliveries/s`, ceiling, 'deliveries/s');
  for (const s of r.steps) figure(`chat scaling ${r.members} members at ${s.offered}/s offered: p99`, s.p99, 'ms');
  for (const s of r.steps) {
    rows.push([
      fmt(r.members),
      fmt(s.offered),
      fmt(s.delivered),
      s.p50.toFixed(1),
      s.p99.toFixed(1),
      s.drained ? 'yes' : 'no',
      `${(r.rssPerMember / 1024).toFixed(2)} KiB`,
      `${(r.heapPerMember / 1024).toFixed(2)} KiB`,
    ]);
  }
}
table(
  'chat room scaling (one server; memory: growth from no connection to every member idle, after GC)',
  ['members', 'offered/s', 'delivered/s', 'p50 ms', 'p99 ms', 'drained', 'live/member', 'heap/member'],
  rows,
);
