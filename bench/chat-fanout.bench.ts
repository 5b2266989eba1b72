/**
 * Chat fan-out over real sockets: 1,000 members on loopback, the server in its own process, the
 * members split over two client processes (raw node:net, see chat-fanout-client.ts).
 *
 * Run: node --import tsx --expose-gc bench/chat-fanout.bench.ts   (about 60 s; `pnpm bench chat-fanout`)
 *
 * Two servers, same clients, same run: ours (createTcpServer + line codec + createChatService, the
 * room's flood limits raised) and a bare node:net room (see chat-fanout-server.ts).
 *
 * Measured for each:
 * - idle memory per member: growth of the server's RSS and JS heap (after GC) from no connection
 *   to 1,000 logged-in, idle members;
 * - fan-out: a ladder of offered rates (lines per second sent into the room, each reaching all
 *   1,000 members): deliveries per second received in the sending window, and the p50/p99/max
 *   delivery latency of every delivery (send time in the line, system-wide monotonic clock).
 *   A step that does not drain within DRAIN_MS or has p99 over 1 s ends the ladder: the room is
 *   saturated, and the last step's received rate is the ceiling.
 *
 * Goals (issue 7): ≥ 1M deliveries/s with p99 < 50 ms; idle memory ≤ 2× bare.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { join } from 'node:path';
import { fmt, table, verdict } from './harness.js';

const MEMBERS = 1000;
const CLIENT_PROCESSES = 2;
const SENDERS_PER_PROCESS = 10;
const RATES = [100, 250, 500, 1000, 2000, 4000];
const STEP_MS = 3000;
const DRAIN_MS = 5000;
const BUCKET_MS = 0.1;
const FD_MARGIN = 64;

interface Memory {
  rss: number;
  heapUsed: number;
}

interface Step {
  offered: number;
  delivered: number;
  p50: number;
  p99: number;
  max: number;
  drained: boolean;
}

/** Soft and hard limits on open files, as a shell sees them (children inherit them). */
function fileLimits(): { soft: number; hard: number } {
  const [soft, hard] = execFileSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' }).trim().split('\n');
  const parse = (value: string | undefined): number => (value === 'unlimited' ? Infinity : Number(value));
  return { soft: parse(soft), hard: parse(hard) };
}

const limits = fileLimits();
const needed = MEMBERS + FD_MARGIN;
if (limits.hard < needed) {
  console.log(`ulimit -n: hard limit ${limits.hard} < ${needed} descriptors needed per process; raise it (as root) and rerun`);
  process.exit(1);
}
// Below the need, each child raises its soft limit within the hard one in a shell before exec'ing node.
const raiseTo = limits.soft < needed ? Math.min(limits.hard, needed * 2) : undefined;

function start(script: string, args: readonly string[]): ChildProcess {
  const node = ['--import', 'tsx', '--expose-gc'];
  const options = { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] as ('ignore' | 'inherit' | 'ipc')[] };
  if (raiseTo === undefined) return fork(join(import.meta.dirname, script), args, { ...options, execArgv: node });
  return fork(join(import.meta.dirname, script), args, {
    ...options,
    execPath: 'sh',
    execArgv: ['-c', `ulimit -n ${raiseTo} && exec "$0" "$@"`, process.execPath, ...node],
  });
}

function next<T>(child: ChildProcess, type: string, timeoutMs = 60_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ${type} message within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: { type?: string; message?: string }): void => {
      if (message.type === 'error') {
        cleanup();
        reject(new Error(message.message));
      } else if (message.type === type) {
        cleanup();
        resolve(message as T);
      }
    };
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`child exited (${String(code)}) before sending ${type}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

function ask<T>(child: ChildProcess, message: object, reply: string): Promise<T> {
  const answer = next<T>(child, reply);
  child.send(message);
  return answer;
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(histogram: Map<number, number>, total: number, p: number): number {
  const rank = Math.ceil(total * p);
  let seen = 0;
  for (const bucket of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bucket) ?? 0;
    if (seen >= rank) return (bucket + 1) * BUCKET_MS;
  }
  return NaN;
}

async function measureServer(mode: 'ours' | 'bare'): Promise<{ memory: Memory; steps: Step[] }> {
  const server = start('chat-fanout-server.ts', [mode, String(MEMBERS)]);
  const clients: ChildProcess[] = [];
  try {
    const { port } = await next<{ port: number }>(server, 'ready');
    await sleep(300);
    const before = await ask<Memory>(server, { type: 'memory' }, 'memory');
    const share = MEMBERS / CLIENT_PROCESSES;
    for (let i = 0; i < CLIENT_PROCESSES; i++) clients.push(start('chat-fanout-client.ts', [String(port), String(share), String(i * share)]));
    const t0 = performance.now();
    await Promise.all(clients.map((client) => next(client, 'ready', 120_000)));
    console.log(`${mode}: ${MEMBERS} members logged in after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await sleep(500);
    const after = await ask<Memory>(server, { type: 'memory' }, 'memory');
    const memory = { rss: (after.rss - before.rss) / MEMBERS, heapUsed: (after.heapUsed - before.heapUsed) / MEMBERS };

    const steps: Step[] = [];
    for (const rate of RATES) {
      await Promise.all(clients.map((client) => ask(client, { type: 'reset' }, 'reset')));
      const done = await Promise.all(
        clients.map((client) =>
          ask<{ sent: number; receivedInWindow: number; windowMs: number }>(
            client,
            { type: 'start', rate: rate / CLIENT_PROCESSES, senders: SENDERS_PER_PROCESS, durationMs: STEP_MS },
            'done',
          ),
        ),
      );
      const sent = done.reduce((sum, d) => sum + d.sent, 0);
      const windowMs = Math.max(...done.map((d) => d.windowMs));
      const delivered = (done.reduce((sum, d) => sum + d.receivedInWindow, 0) * 1000) / windowMs;
      // Drain: wait for every delivery of every line sent in the window.
      const deadline = performance.now() + DRAIN_MS;
      let stats: { received: number; buckets: [number, number][] }[];
      for (;;) {
        stats = await Promise.all(clients.map((client) => ask<{ received: number; buckets: [number, number][] }>(client, { type: 'stats' }, 'stats')));
        const received = stats.reduce((sum, s) => sum + s.received, 0);
        if (received >= sent * MEMBERS || performance.now() > deadline) break;
        await sleep(100);
      }
      const histogram = new Map<number, number>();
      let total = 0;
      for (const s of stats) {
        for (const [bucket, n] of s.buckets) {
          histogram.set(bucket, (histogram.get(bucket) ?? 0) + n);
          total += n;
        }
      }
      const step: Step = {
        offered: rate * MEMBERS,
        delivered,
        p50: percentile(histogram, total, 0.5),
        p99: percentile(histogram, total, 0.99),
        max: percentile(histogram, total, 1),
        drained: total >= sent * MEMBERS,
      };
      steps.push(step);
      console.log(
        `${mode}: offered ${fmt(step.offered)}/s → ${fmt(step.delivered)}/s, p50 ${step.p50.toFixed(1)} ms, p99 ${step.p99.toFixed(1)} ms${step.drained ? '' : ' (did not drain)'}`,
      );
      if (!step.drained || step.p99 > 1000) break;
      await sleep(300);
    }
    return { memory, steps };
  } finally {
    for (const client of clients) client.send({ type: 'close' });
    await Promise.all(clients.map(stop));
    await stop(server);
  }
}

console.log(
  `node ${process.version}, ${MEMBERS} members, ${CLIENT_PROCESSES} client processes, ulimit -n ${limits.soft} (hard ${limits.hard})${raiseTo === undefined ? '' : `, raised to ${raiseTo} in the children`}`,
);
const ours = await measureServer('ours');
const bare = await measureServer('bare');

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
const oursBest = best(ours.steps);
const bareBest = best(bare.steps);
table(
  'summary',
  ['measure', 'ours', 'bare', 'ratio', 'goal'],
  [
    [
      'deliveries/s with p99 < 50 ms',
      oursBest === undefined ? 'none' : fmt(oursBest.delivered),
      bareBest === undefined ? 'none' : fmt(bareBest.delivered),
      oursBest === undefined || bareBest === undefined ? '-' : `${(oursBest.delivered / bareBest.delivered).toFixed(2)}x`,
      `≥ 1M/s: ${oursBest !== undefined && oursBest.delivered >= 1e6 ? 'met' : 'NOT met'}`,
    ],
    ['ceiling deliveries/s (any latency)', fmt(ceiling(ours.steps)), fmt(ceiling(bare.steps)), `${(ceiling(ours.steps) / ceiling(bare.steps)).toFixed(2)}x`, ''],
    [
      'idle memory per member (RSS)',
      `${(ours.memory.rss / 1024).toFixed(1)} KiB`,
      `${(bare.memory.rss / 1024).toFixed(1)} KiB`,
      verdict(ours.memory.rss / bare.memory.rss, 2, false),
      '≤ 2x',
    ],
    [
      'idle memory per member (JS heap)',
      `${(ours.memory.heapUsed / 1024).toFixed(1)} KiB`,
      `${(bare.memory.heapUsed / 1024).toFixed(1)} KiB`,
      `${(ours.memory.heapUsed / bare.memory.heapUsed).toFixed(2)}x`,
      '',
    ],
  ],
);
