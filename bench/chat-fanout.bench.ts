/**
 * Chat fan-out over real sockets: 1,000 members on loopback, the server in its own process, the
 * members split over two client processes (raw node:net, see chat-fanout-client.ts).
 *
 * Run: node --import tsx --expose-gc bench/chat-fanout.bench.ts   (about 2 min; `pnpm bench chat-fanout`)
 *
 * Two servers, same clients, same run: ours (createTcpServer + line codec + createChatService, the
 * room's flood limits raised) and a bare node:net room (see chat-fanout-server.ts).
 *
 * Measured for each:
 * - idle memory per member, in fresh server processes, ours and bare interleaved (A B A B …,
 *   MEMORY_SLICES each): the growth from WARM_MEMBERS to WARM_MEMBERS + MEMORY_MEMBERS idle,
 *   logged-in members (after GC), divided by MEMORY_MEMBERS. The first members' costs are left
 *   out (JIT code, the room's Map growing, buffers the first writes make), and so is V8's young
 *   generation: its size is V8's choice, from 1 to 32 MiB as the allocation rate goes (the two
 *   servers' young generations differed by 8–24 MiB at 1,000 members, which alone made the
 *   "15.6×" RSS ratio of 2026-12-01). Even so, RSS moves by megabytes as V8 keeps or frees heap
 *   pages (slices came out negative), so the goal is read on live memory: the live JS heap plus
 *   RSS outside V8's heap (malloc'ed handles and buffers; chat-bench-kit.ts `liveBytes`); RSS
 *   without the young generation, raw RSS and the heap are printed beside it;
 * - fan-out: a ladder of offered rates (lines per second sent into the room, each reaching all
 *   1,000 members): deliveries per second received in the sending window, and the p50/p99/max
 *   delivery latency of every delivery (send time in the line, system-wide monotonic clock).
 *   A step that does not drain within DRAIN_MS or has p99 over 1 s ends the ladder: the room is
 *   saturated, and the last step's received rate is the ceiling.
 *
 * NETLAB_CHAT_FANOUT=memory runs the memory slices only (a busy machine makes the ladder slow and
 * meaningless, while memory is unaffected by CPU contention).
 *
 * Goals (issue 7): ≥ 1M deliveries/s with p99 < 50 ms; idle memory ≤ 2× bare.
 */
import type { ChildProcess } from 'node:child_process';
import { type ServerMemory, type StepResult, ask, closeClients, fileLimits, forkChild, liveBytes, next, runStep, sleep, stop } from './chat-bench-kit.js';
import { figure, fmt, sliceRatios, spreadOf, table, verdictSpread } from './harness.js';

const MEMBERS = 1000;
const CLIENT_PROCESSES = 2;
const SENDERS_PER_PROCESS = 10;
const RATES = [100, 250, 500, 1000, 2000, 4000];
const STEP_MS = 3000;
const DRAIN_MS = 5000;
const FD_MARGIN = 64;
const WARM_MEMBERS = 100;
const MEMORY_MEMBERS = 700;
const MEMORY_SLICES = 5;

interface Memory {
  /** Live memory growth per member (chat-bench-kit.ts `liveBytes`: live heap + memory outside V8's heap). */
  live: number;
  /** RSS growth per member, the young generation left out. */
  rss: number;
  /** Raw RSS growth per member. */
  rawRss: number;
  heapUsed: number;
}

type Step = StepResult & { offered: number };

const limits = fileLimits();
const needed = WARM_MEMBERS + MEMORY_MEMBERS + FD_MARGIN;
if (limits.hard < needed) {
  console.log(`ulimit -n: hard limit ${limits.hard} < ${needed} descriptors needed per process; raise it (as root) and rerun`);
  process.exit(1);
}
// Below the need, each child raises its soft limit within the hard one in a shell before exec'ing node.
const raiseTo = limits.soft < needed ? Math.min(limits.hard, needed * 2) : undefined;
const start = (script: string, args: readonly string[]): ChildProcess => forkChild(script, args, { fileLimit: raiseTo });

/** Idle memory per member of one fresh server (see the header). */
async function measureMemory(mode: 'ours' | 'bare'): Promise<Memory> {
  const server = start('chat-fanout-server.ts', [mode, String(WARM_MEMBERS + MEMORY_MEMBERS)]);
  const clients: ChildProcess[] = [];
  try {
    const { port } = await next<{ port: number }>(server, 'ready');
    const join = async (count: number, first: number): Promise<void> => {
      const client = start('chat-fanout-client.ts', [String(port), String(count), String(first)]);
      clients.push(client);
      // Every login is announced to the whole room (quadratic): on a busy machine this takes minutes.
      await next(client, 'ready', 900_000);
    };
    await join(WARM_MEMBERS, 0);
    await sleep(300);
    const before = await ask<ServerMemory>(server, { type: 'memory' }, 'memory');
    await join(MEMORY_MEMBERS, WARM_MEMBERS);
    await sleep(300);
    const after = await ask<ServerMemory>(server, { type: 'memory' }, 'memory');
    const per = (pick: (m: ServerMemory) => number): number => (pick(after) - pick(before)) / MEMORY_MEMBERS;
    return { live: per(liveBytes), rss: per((m) => m.rss - m.newSpace), rawRss: per((m) => m.rss), heapUsed: per((m) => m.heapUsed) };
  } finally {
    await closeClients(clients);
    await stop(server);
  }
}

async function measureLadder(mode: 'ours' | 'bare'): Promise<Step[]> {
  const server = start('chat-fanout-server.ts', [mode, String(MEMBERS)]);
  const clients: ChildProcess[] = [];
  try {
    const { port } = await next<{ port: number }>(server, 'ready');
    const share = MEMBERS / CLIENT_PROCESSES;
    for (let i = 0; i < CLIENT_PROCESSES; i++) clients.push(start('chat-fanout-client.ts', [String(port), String(share), String(i * share)]));
    const t0 = performance.now();
    await Promise.all(clients.map((client) => next(client, 'ready', 120_000)));
    console.log(`${mode}: ${MEMBERS} members logged in after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await sleep(500);
    const steps: Step[] = [];
    for (const rate of RATES) {
      const result = await runStep(clients, { rate, members: MEMBERS, senders: SENDERS_PER_PROCESS, durationMs: STEP_MS, drainMs: DRAIN_MS });
      const step: Step = { ...result, offered: rate * MEMBERS };
      steps.push(step);
      console.log(
        `${mode}: offered ${fmt(step.offered)}/s → ${fmt(step.delivered)}/s, p50 ${step.p50.toFixed(1)} ms, p99 ${step.p99.toFixed(1)} ms${step.drained ? '' : ' (did not drain)'}`,
      );
      if (!step.drained || step.p99 > 1000) break;
      await sleep(300);
    }
    return steps;
  } finally {
    await closeClients(clients);
    await stop(server);
  }
}

console.log(
  `node ${process.version}, ${MEMBERS} members, ${CLIENT_PROCESSES} client processes, ulimit -n ${limits.soft} (hard ${limits.hard})${raiseTo === undefined ? '' : `, raised to ${raiseTo} in the children`}`,
);
const memory: Record<'ours' | 'bare', Memory[]> = { ours: [], bare: [] };
for (let slice = 0; slice < MEMORY_SLICES; slice++) {
  for (const mode of ['ours', 'bare'] as const) {
    const m = await measureMemory(mode);
    memory[mode].push(m);
    console.log(`memory slice ${slice + 1} ${mode}: ${(m.live / 1024).toFixed(2)} KiB live, ${(m.rss / 1024).toFixed(2)} KiB RSS w/o young gen, ${(m.rawRss / 1024).toFixed(2)} KiB raw RSS, ${(m.heapUsed / 1024).toFixed(2)} KiB heap per member`);
  }
}
const memoryOnly = process.env.NETLAB_CHAT_FANOUT === 'memory';
const ours = { steps: memoryOnly ? [] : await measureLadder('ours') };
const bare = { steps: memoryOnly ? [] : await measureLadder('bare') };

const best = (steps: readonly Step[]): Step | undefined =>
  steps.filter((s) => s.drained && s.p99 < 50).sort((a, b) => b.delivered - a.delivered)[0];
const ceiling = (steps: readonly Step[]): number => Math.max(0, ...steps.map((s) => s.delivered));

table(
  'fan-out ladder (deliveries/s received while sending; latency of every delivery)',
  ['server', 'offered/s', 'delivered/s', 'p50 ms', 'p99 ms', 'max ms', 'drained'],
  [...ours.steps.map((s) => ['ours', s] as const), ...bare.steps.map((s) => ['bare', s] as const)].map(([name, s]) => [
    name,
    fmt(s.offered),
    fmt(s.delivered),
    s.p50.toFixed(1),
    s.p99.toFixed(1),
    s.max.toFixed(1),
    s.drained ? 'yes' : 'no',
  ]),
);
const kib = (values: readonly number[]): string => {
  const s = spreadOf(values);
  return `${(s.median / 1024).toFixed(2)} KiB (${(s.min / 1024).toFixed(2)}–${(s.max / 1024).toFixed(2)})`;
};
function memoryRow(name: string, pick: (m: Memory) => number, goal: string, withGoal: boolean): string[] {
  const ratios = sliceRatios(memory.ours.map(pick), memory.bare.map(pick));
  figure(`chat ${name}, ours/bare`, ratios, 'ratio', withGoal ? '<= 2' : undefined);
  figure(`chat ${name}, ours`, spreadOf(memory.ours.map(pick)), 'bytes');
  figure(`chat ${name}, bare`, spreadOf(memory.bare.map(pick)), 'bytes');
  return [name, kib(memory.ours.map(pick)), kib(memory.bare.map(pick)), withGoal ? verdictSpread(ratios, 2, false) : `${ratios.median.toFixed(2)}x (${ratios.min.toFixed(2)}–${ratios.max.toFixed(2)} over ${ratios.slices} slices)`, goal];
}
const oursBest = best(ours.steps);
const bareBest = best(bare.steps);
table(
  'summary',
  ['measure', 'ours', 'bare', 'ratio', 'goal'],
  [
    ...(memoryOnly
      ? []
      : [
          [
            'deliveries/s with p99 < 50 ms',
            oursBest === undefined ? 'none' : fmt(oursBest.delivered),
            bareBest === undefined ? 'none' : fmt(bareBest.delivered),
            oursBest === undefined || bareBest === undefined ? '-' : `${(oursBest.delivered / bareBest.delivered).toFixed(2)}x`,
            `≥ 1M/s: ${oursBest !== undefined && oursBest.delivered >= 1e6 ? 'met' : 'NOT met'}`,
          ],
          ['ceiling deliveries/s (any latency)', fmt(ceiling(ours.steps)), fmt(ceiling(bare.steps)), `${(ceiling(ours.steps) / ceiling(bare.steps)).toFixed(2)}x`, ''],
        ]),
    memoryRow('idle memory per member (live: heap + outside V8)', (m) => m.live, '≤ 2x', true),
    memoryRow('idle memory per member (RSS w/o young generation)', (m) => m.rss, '', false),
    memoryRow('idle memory per member (raw RSS)', (m) => m.rawRss, '', false),
    memoryRow('idle memory per member (JS heap)', (m) => m.heapUsed, '', false),
  ],
);
console.log(`(memory: ${MEMORY_SLICES} interleaved slices each, growth from ${WARM_MEMBERS} to ${WARM_MEMBERS + MEMORY_MEMBERS} idle members, after GC)`);
