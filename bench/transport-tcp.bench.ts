/**
 * TCP transport against bare node:net, client and server in separate processes.
 *
 * Run: node --import tsx --expose-gc bench/transport-tcp.bench.ts   (about 60 s)
 *
 * Both servers echo lines (distinct 32-byte lines); the same raw node:net client drives both, so the difference is the
 * server stack (ours: createTcpServer + line codec + echo service; bare: a loop that writes the
 * complete lines of each received chunk with one write). Measured: round trips per second on 1
 * and 64 connections, pipelined messages per second on one connection (a window of 512 lines in
 * flight), and memory per idle connection (RSS and heap growth of the server process over 2,000
 * idle connections, after GC). For each rate the server's CPU time per message (user + system,
 * read over IPC around each slice) is compared too: on a shared machine a rate moves with what
 * else runs, CPU per message much less.
 *
 * Same-run before/after: NETLAB_BENCH_BASELINE=<another checkout, pnpm-installed> adds that
 * checkout's server as a third interleaved variant and prints ours vs it.
 */
import { type Socket, connect } from 'node:net';
import { type Spread, figure, fmt, sliceRatios, spreadOf, table, verdict, verdictSpread } from './harness.js';
import { type BenchServer, baselineCheckout, startServer } from './transport-bench-child.js';

const DURATION_MS = 1500;
/** Interleaved slices per measure (ours, bare, ours, bare, …). */
const SLICES = 5;
const IDLE_CONNECTIONS = 2000;
const LINE_BYTES = 32;
/**
 * The n-th distinct line of LINE_BYTES bytes (LF included). Lines differ so that no server can
 * skip work because a message equals the previous one (ours remembers the last text it encoded).
 */
const line = (n: number): Buffer => Buffer.from(`${String(n).padStart(LINE_BYTES - 1, 'p')}\n`);

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true }, () => {
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

function countLines(chunk: Buffer): number {
  let n = 0;
  let at = chunk.indexOf(0x0a);
  while (at !== -1) {
    n++;
    at = chunk.indexOf(0x0a, at + 1);
  }
  return n;
}

/** What one slice measured: replies per second, and the server's CPU time per reply (µs). */
interface Slice {
  readonly rate: number;
  readonly cpuPerMessage: number;
}

/** Warms up, then counts replies for DURATION_MS, reading the server's CPU time around the window. */
async function window(server: BenchServer, replies: () => number): Promise<Slice> {
  await new Promise((resolve) => setTimeout(resolve, 300)); // warm-up
  const start = replies();
  const cpu0 = await server.cpu();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
  const cpu1 = await server.cpu();
  const count = replies() - start;
  return { rate: (count * 1000) / (performance.now() - t0), cpuPerMessage: (cpu1 - cpu0) / Math.max(1, count) };
}

/** Each connection sends one line, waits for its echo, repeats. */
async function roundTrips(server: BenchServer, connections: number): Promise<Slice> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => open(server.port)));
  let replies = 0;
  let running = true;
  sockets.forEach((socket, index) => {
    const own = line(index);
    socket.on('data', (chunk: Buffer) => {
      const n = countLines(chunk);
      replies += n;
      if (running) for (let i = 0; i < n; i++) socket.write(own);
    });
    socket.write(own);
  });
  const slice = await window(server, () => replies);
  running = false;
  for (const socket of sockets) socket.destroy();
  return slice;
}

/** One connection keeps WINDOW lines in flight, refilling with one write per received chunk. */
async function pipelined(server: BenchServer): Promise<Slice> {
  const WINDOW = 512;
  const socket = await open(server.port);
  let replies = 0;
  let running = true;
  const full = Buffer.concat(Array.from({ length: WINDOW }, (_, i) => line(i)));
  socket.on('data', (chunk: Buffer) => {
    const n = countLines(chunk);
    replies += n;
    if (running && n > 0) socket.write(n === WINDOW ? full : full.subarray(0, n * LINE_BYTES));
  });
  socket.write(full);
  const slice = await window(server, () => replies);
  running = false;
  socket.destroy();
  return slice;
}

/** Server memory growth per idle connection (RSS and JS heap + buffers), after GC. */
async function idleMemory(server: BenchServer): Promise<{ rss: number; heap: number }> {
  const before = await server.memory();
  const sockets: Socket[] = [];
  for (let i = 0; i < IDLE_CONNECTIONS; i++) sockets.push(await open(server.port));
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await server.memory();
  for (const socket of sockets) socket.destroy();
  return {
    rss: (after.rss - before.rss) / IDLE_CONNECTIONS,
    heap: (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / IDLE_CONNECTIONS,
  };
}

interface Compared {
  readonly ours: number;
  readonly bare: number;
  /** Per-slice throughput ratios ours/bare. */
  readonly ratio: Spread;
  /** Per-slice ratios of server CPU time per message, ours/bare (lower is better; load-robust). */
  readonly cpu: Spread;
  /** Server CPU µs per message, medians. */
  readonly oursCpu: number;
  readonly bareCpu: number;
  /** With NETLAB_BENCH_BASELINE: per-slice ratios ours/baseline, throughput and CPU per message. */
  readonly vsBase: { readonly ratio: Spread; readonly cpu: Spread; readonly baseRatio: Spread } | undefined;
}

/**
 * ours and bare (and the baseline checkout's ours, when set) in interleaved slices; medians of
 * each, and the spread of per-slice ratios.
 */
async function both(run: (server: BenchServer) => Promise<Slice>): Promise<Compared> {
  const servers: Record<string, BenchServer> = { ours: await startServer('tcp-ours'), bare: await startServer('tcp-bare') };
  if (baselineCheckout !== undefined) servers.base = await startServer('tcp-ours', { checkout: baselineCheckout });
  const slices: Record<string, Slice[]> = {};
  try {
    for (let i = 0; i < SLICES; i++) {
      for (const [name, server] of Object.entries(servers)) (slices[name] ??= []).push(await run(server));
    }
  } finally {
    for (const server of Object.values(servers)) await server.stop();
  }
  const rates = (name: string): number[] => (slices[name] ?? []).map((s) => s.rate);
  const cpus = (name: string): number[] => (slices[name] ?? []).map((s) => s.cpuPerMessage);
  return {
    ours: spreadOf(rates('ours')).median,
    bare: spreadOf(rates('bare')).median,
    ratio: sliceRatios(rates('ours'), rates('bare')),
    cpu: sliceRatios(cpus('ours'), cpus('bare')),
    oursCpu: spreadOf(cpus('ours')).median,
    bareCpu: spreadOf(cpus('bare')).median,
    vsBase: servers.base === undefined
      ? undefined
      : { ratio: sliceRatios(rates('ours'), rates('base')), cpu: sliceRatios(cpus('ours'), cpus('base')), baseRatio: sliceRatios(rates('base'), rates('bare')) },
  };
}

const started = performance.now();
const one = await both((s) => roundTrips(s, 1));
const many = await both((s) => roundTrips(s, 64));
const pipe = await both((s) => pipelined(s));
/** Idle memory in a fresh server process, twice per server, interleaved, averaged (RSS is noisy). */
async function idleMemoryOf(mode: string): Promise<{ rss: number; heap: number }> {
  const server = await startServer(mode);
  try {
    return await idleMemory(server);
  } finally {
    await server.stop();
  }
}
const memRuns = [await idleMemoryOf('tcp-ours'), await idleMemoryOf('tcp-bare'), await idleMemoryOf('tcp-ours'), await idleMemoryOf('tcp-bare')];
const mean = (a: { rss: number; heap: number } | undefined, b: { rss: number; heap: number } | undefined): { rss: number; heap: number } => ({
  rss: ((a?.rss ?? Number.NaN) + (b?.rss ?? Number.NaN)) / 2,
  heap: ((a?.heap ?? Number.NaN) + (b?.heap ?? Number.NaN)) / 2,
});
const oursMem = mean(memRuns[0], memRuns[2]);
const bareMem = mean(memRuns[1], memRuns[3]);

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KiB`;
figure('tcp round trips/s, 1 connection, ours/bare', one.ratio, 'ratio', '>= 0.9');
figure('tcp round trips/s, 64 connections, ours/bare', many.ratio, 'ratio', '>= 0.8');
figure('tcp pipelined messages/s, 1 connection, ours/bare', pipe.ratio, 'ratio', '>= 0.5');
figure('tcp server CPU per round trip, 1 connection, ours/bare', one.cpu, 'ratio', '<= 1.11');
figure('tcp server CPU per round trip, 64 connections, ours/bare', many.cpu, 'ratio', '<= 1.25');
figure('tcp server CPU per pipelined message, ours/bare', pipe.cpu, 'ratio', '<= 2');
figure('tcp round trips/s, 1 connection, ours', one.ours, '1/s');
figure('tcp pipelined messages/s, ours', pipe.ours, '1/s');
figure('tcp idle memory per connection RSS, ours/bare', oursMem.rss / bareMem.rss, 'ratio', '<= 2');
const us = (micros: number): string => `${micros.toFixed(2)} µs`;
/** CPU per message ratio (lower is better), with the goal the throughput goal implies (1 / goal). */
const cpuVerdict = (spread: Spread, throughputGoal: number): string => verdictSpread(spread, Number((1 / throughputGoal).toFixed(2)), false);
table(
  `TCP transport vs bare node:net (server in a child process; ${SLICES} interleaved slices of ${DURATION_MS} ms each; Node ${process.version})`,
  ['measure', 'ours (median)', 'bare (median)', 'ratio (median of per-slice ratios, range)'],
  [
    ['round trips/s, 1 connection', fmt(one.ours), fmt(one.bare), verdictSpread(one.ratio, 0.9)],
    ['round trips/s, 64 connections', fmt(many.ours), fmt(many.bare), verdictSpread(many.ratio, 0.8)],
    ['pipelined messages/s, 1 connection', fmt(pipe.ours), fmt(pipe.bare), verdictSpread(pipe.ratio, 0.5)],
    ['server CPU per round trip, 1 connection', us(one.oursCpu), us(one.bareCpu), cpuVerdict(one.cpu, 0.9)],
    ['server CPU per round trip, 64 connections', us(many.oursCpu), us(many.bareCpu), cpuVerdict(many.cpu, 0.8)],
    ['server CPU per pipelined message', us(pipe.oursCpu), us(pipe.bareCpu), cpuVerdict(pipe.cpu, 0.5)],
    [`memory per idle connection (RSS, ${IDLE_CONNECTIONS} conns, mean of 2)`, kb(oursMem.rss), kb(bareMem.rss), verdict(oursMem.rss / bareMem.rss, 2, false)],
    ['memory per idle connection (heap + buffers, mean of 2)', kb(oursMem.heap), kb(bareMem.heap), `${(oursMem.heap / bareMem.heap).toFixed(2)}x`],
  ],
);
if (baselineCheckout !== undefined) {
  const range = (s: Spread | undefined): string => (s === undefined ? '-' : `${s.median.toFixed(2)}x (${s.min.toFixed(2)}–${s.max.toFixed(2)})`);
  table(
    `This checkout vs the baseline checkout ${baselineCheckout} (NETLAB_BENCH_BASELINE), same slices`,
    ['measure', 'baseline/bare throughput', 'ours/baseline throughput', 'ours/baseline CPU per message (lower is better)'],
    [
      ['round trips, 1 connection', range(one.vsBase?.baseRatio), range(one.vsBase?.ratio), range(one.vsBase?.cpu)],
      ['round trips, 64 connections', range(many.vsBase?.baseRatio), range(many.vsBase?.ratio), range(many.vsBase?.cpu)],
      ['pipelined, 1 connection', range(pipe.vsBase?.baseRatio), range(pipe.vsBase?.ratio), range(pipe.vsBase?.cpu)],
    ],
  );
  if (one.vsBase !== undefined) figure('tcp pipelined CPU per message, ours/baseline checkout', pipe.vsBase?.cpu ?? one.vsBase.cpu, 'ratio');
}
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
