/**
 * WebSocket transport against a bare `ws` echo, server in a child process, the same raw `ws`
 * client driving both.
 *
 * Run: node --conditions=@netlab/source --import tsx bench/ws-transport.bench.ts   (about 60 s)
 *
 * Measured: sequential round trips per second (each client keeps one message in flight) with 1
 * and with 16 client connections. Slices alternate ours, bare, ours, bare … (SLICES pairs), so a
 * machine whose speed drifts colours both alike; printed: the median of the per-pair ratios and
 * their range. Goal: ≥ 0.8× the bare echo.
 */
import { WebSocket } from 'ws';
import { fmt, table, verdict } from './harness.js';
import { type BenchServer, startServer } from './transport-bench-child.js';

const SLICE_MS = 1500;
const SLICES = 7;
const PAYLOAD = 'p'.repeat(32);

async function open(port: number, count: number): Promise<WebSocket[]> {
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
          ws.once('open', () => {
            resolve(ws);
          });
          ws.once('error', reject);
        }),
    ),
  );
}

async function slice(clients: readonly WebSocket[]): Promise<number> {
  let replies = 0;
  let running = true;
  const onMessage = new Map<WebSocket, () => void>();
  for (const ws of clients) {
    const handler = (): void => {
      replies++;
      if (running) ws.send(PAYLOAD);
    };
    onMessage.set(ws, handler);
    ws.on('message', handler);
  }
  for (const ws of clients) ws.send(PAYLOAD);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const start = replies;
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, SLICE_MS));
  const rate = ((replies - start) * 1000) / (performance.now() - t0);
  running = false;
  // Let the last message in flight of each client come back before the next slice.
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (const [ws, handler] of onMessage) ws.off('message', handler);
  return rate;
}

interface Result {
  readonly ours: number;
  readonly bare: number;
  readonly ratio: number;
  readonly min: number;
  readonly max: number;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

async function compare(ours: BenchServer, bare: BenchServer, connections: number): Promise<Result> {
  const oursClients = await open(ours.port, connections);
  const bareClients = await open(bare.port, connections);
  await slice(oursClients); // warm-up
  await slice(bareClients);
  const o: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < SLICES; i++) {
    const a = await slice(oursClients);
    const c = await slice(bareClients);
    o.push(a);
    b.push(c);
    ratios.push(a / c);
  }
  for (const ws of [...oursClients, ...bareClients]) ws.close();
  return { ours: median(o), bare: median(b), ratio: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

const started = performance.now();
const oursServer = await startServer('ws-ours');
const bareServer = await startServer('ws-bare');
try {
  const one = await compare(oursServer, bareServer, 1);
  const many = await compare(oursServer, bareServer, 16);
  const row = (label: string, r: Result): string[] => [label, fmt(r.ours), fmt(r.bare), verdict(r.ratio, 0.8), `${r.min.toFixed(2)}–${r.max.toFixed(2)}x`];
  table(
    `WebSocket transport vs bare ws echo (server in a child process; ${SLICES} interleaved pairs of ${SLICE_MS} ms slices; medians; Node ${process.version})`,
    ['measure', 'ours', 'bare', 'median ratio', 'range'],
    [row('round trips/s, 1 connection', one), row('round trips/s, 16 connections', many)],
  );
} finally {
  await oursServer.stop();
  await bareServer.stop();
}
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
