/**
 * TCP transport against bare node:net, client and server in separate processes.
 *
 * Run: node --import tsx bench/transport-tcp.bench.ts   (about 35 s)
 *
 * Both servers echo lines; the same raw node:net client drives both, so the difference is the
 * server stack (ours: createTcpServer + line codec + echo service; bare: a loop that writes the
 * complete lines of each received chunk with one write). Measured: round trips per second on 1
 * and 64 connections, pipelined messages per second on one connection (a window of 512 lines in
 * flight), and memory per idle connection (RSS and heap growth of the server process over 2,000
 * idle connections, after GC).
 */
import { type Socket, connect } from 'node:net';
import { fmt, table, verdict } from './harness.js';
import { type BenchServer, startServer } from './transport-bench-child.js';

const DURATION_MS = 2500;
const IDLE_CONNECTIONS = 2000;
const LINE = Buffer.from(`${'p'.repeat(31)}\n`);

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

/** Each connection sends one line, waits for its echo, repeats. */
async function roundTrips(port: number, connections: number): Promise<number> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => open(port)));
  let replies = 0;
  let running = true;
  for (const socket of sockets) {
    socket.on('data', (chunk: Buffer) => {
      const n = countLines(chunk);
      replies += n;
      if (running) for (let i = 0; i < n; i++) socket.write(LINE);
    });
    socket.write(LINE);
  }
  await new Promise((resolve) => setTimeout(resolve, 300)); // warm-up
  const start = replies;
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
  const rate = ((replies - start) * 1000) / (performance.now() - t0);
  running = false;
  for (const socket of sockets) socket.destroy();
  return rate;
}

/** One connection keeps WINDOW lines in flight, refilling with one write per received chunk. */
async function pipelined(port: number): Promise<number> {
  const WINDOW = 512;
  const socket = await open(port);
  let replies = 0;
  let running = true;
  const batch = (n: number): Buffer => Buffer.concat(Array.from({ length: n }, () => LINE));
  const full = batch(WINDOW);
  socket.on('data', (chunk: Buffer) => {
    const n = countLines(chunk);
    replies += n;
    if (running && n > 0) socket.write(n === WINDOW ? full : full.subarray(0, n * LINE.length));
  });
  socket.write(full);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const start = replies;
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
  const rate = ((replies - start) * 1000) / (performance.now() - t0);
  running = false;
  socket.destroy();
  return rate;
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

async function both<T>(run: (server: BenchServer) => Promise<T>): Promise<{ ours: T; bare: T }> {
  const oursServer = await startServer('tcp-ours');
  const bareServer = await startServer('tcp-bare');
  try {
    // Alternate, best of two each, so drift on a shared machine hits both sides alike.
    const ours1 = await run(oursServer);
    const bare1 = await run(bareServer);
    const ours2 = await run(oursServer);
    const bare2 = await run(bareServer);
    const pick = (a: T, b: T): T => (typeof a === 'number' && typeof b === 'number' ? (Math.max(a, b) as T) : b);
    return { ours: pick(ours1, ours2), bare: pick(bare1, bare2) };
  } finally {
    await oursServer.stop();
    await bareServer.stop();
  }
}

const started = performance.now();
const one = await both((s) => roundTrips(s.port, 1));
const many = await both((s) => roundTrips(s.port, 64));
const pipe = await both((s) => pipelined(s.port));
const oursMemServer = await startServer('tcp-ours');
const oursMem = await idleMemory(oursMemServer);
await oursMemServer.stop();
const bareMemServer = await startServer('tcp-bare');
const bareMem = await idleMemory(bareMemServer);
await bareMemServer.stop();

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KiB`;
table(
  `TCP transport vs bare node:net (server in a child process; ${DURATION_MS} ms per run, best of 2; Node ${process.version})`,
  ['measure', 'ours', 'bare', 'ratio'],
  [
    ['round trips/s, 1 connection', fmt(one.ours), fmt(one.bare), verdict(one.ours / one.bare, 0.9)],
    ['round trips/s, 64 connections', fmt(many.ours), fmt(many.bare), verdict(many.ours / many.bare, 0.8)],
    ['pipelined messages/s, 1 connection', fmt(pipe.ours), fmt(pipe.bare), verdict(pipe.ours / pipe.bare, 0.5)],
    [`memory per idle connection (RSS, ${IDLE_CONNECTIONS} conns)`, kb(oursMem.rss), kb(bareMem.rss), verdict(oursMem.rss / bareMem.rss, 2, false)],
    ['memory per idle connection (heap + buffers)', kb(oursMem.heap), kb(bareMem.heap), `${(oursMem.heap / bareMem.heap).toFixed(2)}x`],
  ],
);
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
