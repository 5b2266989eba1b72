/**
 * UDP transport against a bare node:dgram echo, client and server in separate processes.
 *
 * Run: node --import tsx bench/transport-udp.bench.ts   (about 35 s)
 *
 * Both servers echo each datagram to its sender; the same raw node:dgram client drives both
 * (ours: createUdpServer + text datagram codec + echo service with per-peer sessions). Measured:
 * round trips per second with 1 and with 16 client sockets, each keeping one datagram in flight
 * (a lost datagram is re-sent after 200 ms so a run never stalls).
 *
 * Scaling table: the server with 10, 1,000 and 10,000 peers (distinct client sockets, so ours
 * holds that many per-peer sessions). 64 requests (fewer with fewer peers) are kept in flight,
 * each sent from the next peer in rotation, so every peer keeps talking; measured per slice:
 * replies per second and the 99th percentile of request → reply time, and, once per server, its
 * memory growth per peer (RSS, and JS heap + buffers, after GC) between a fresh start and the
 * end of the first slice. A datagram with no reply within 200 ms is counted lost and its slot
 * reused.
 */
import { type Socket, createSocket } from 'node:dgram';
import { type Spread, figure, fmt, interleavedRates, sliceRatios, spreadOf, table, verdictSpread } from './harness.js';
import { type BenchServer, startServer } from './transport-bench-child.js';

const DURATION_MS = 1500;
/** Interleaved slices per measure (ours, bare, ours, bare, …). */
const SLICES = 5;
const PAYLOAD = Buffer.from('p'.repeat(32));

async function roundTrips(port: number, sockets: number): Promise<number> {
  const clients: Socket[] = [];
  let replies = 0;
  let running = true;
  const timers: NodeJS.Timeout[] = [];
  for (let i = 0; i < sockets; i++) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => {
      socket.connect(port, '127.0.0.1', resolve);
    });
    let lastSent = 0;
    const fire = (): void => {
      lastSent = performance.now();
      socket.send(PAYLOAD);
    };
    socket.on('message', () => {
      replies++;
      if (running) fire();
    });
    socket.on('error', () => undefined);
    timers.push(
      setInterval(() => {
        if (running && performance.now() - lastSent > 200) fire();
      }, 100),
    );
    clients.push(socket);
    fire();
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  const start = replies;
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
  const rate = ((replies - start) * 1000) / (performance.now() - t0);
  running = false;
  for (const timer of timers) clearInterval(timer);
  for (const socket of clients) socket.close();
  return rate;
}

/** ours and bare in interleaved slices; medians of each, and the spread of per-slice ratios. */
async function both(run: (server: BenchServer) => Promise<number>): Promise<{ ours: number; bare: number; ratio: Spread }> {
  const oursServer = await startServer('udp-ours');
  const bareServer = await startServer('udp-bare');
  try {
    const rates = await interleavedRates({ ours: () => run(oursServer), bare: () => run(bareServer) }, SLICES);
    return { ours: spreadOf(rates.ours).median, bare: spreadOf(rates.bare).median, ratio: sliceRatios(rates.ours, rates.bare) };
  } finally {
    await oursServer.stop();
    await bareServer.stop();
  }
}

const SCALE_PEERS = [10, 1000, 10_000] as const;
const SCALE_DURATION_MS = 1000;
const SCALE_WINDOW = 64;

interface ScaleSlice {
  readonly rate: number;
  readonly p99Ms: number;
  readonly lost: number;
}

/** Opens `count` unconnected client sockets on 127.0.0.1 (each one peer of the server). */
async function openPeers(count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = createSocket('udp4');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      socket.bind(0, '127.0.0.1', resolve);
    });
    sockets.push(socket);
  }
  return sockets;
}

/** One slice against `port`: a rotating window of requests over every peer; warms up until each peer has sent once. */
async function scaleSlice(port: number, peers: readonly Socket[]): Promise<ScaleSlice> {
  const window = Math.min(SCALE_WINDOW, peers.length);
  const sentAt = new Float64Array(peers.length);
  let cursor = 0;
  let replies = 0;
  let lost = 0;
  let measuring = false;
  let running = true;
  const latencies: number[] = [];
  const fire = (): void => {
    const index = cursor % peers.length;
    cursor += 1;
    sentAt[index] = performance.now();
    peers[index]?.send(PAYLOAD, port, '127.0.0.1');
  };
  const listeners = peers.map((socket, index) => {
    const onMessage = (): void => {
      const at = sentAt[index] ?? 0;
      if (at === 0) return; // counted lost already
      sentAt[index] = 0;
      if (measuring) {
        replies += 1;
        latencies.push(performance.now() - at);
      }
      if (running) fire();
    };
    socket.on('message', onMessage);
    return onMessage;
  });
  const reaper = setInterval(() => {
    const now = performance.now();
    for (let i = 0; i < sentAt.length; i++) {
      const at = sentAt[i] ?? 0;
      if (at !== 0 && now - at > 200) {
        sentAt[i] = 0;
        if (measuring) lost += 1;
        if (running) fire();
      }
    }
  }, 100);
  for (let i = 0; i < window; i++) fire();
  // Warm-up: every peer has sent at least once (the server holds all its sessions), and 300 ms.
  const warmStart = performance.now();
  while (cursor < peers.length || performance.now() - warmStart < 300) await new Promise((resolve) => setTimeout(resolve, 50));
  measuring = true;
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, SCALE_DURATION_MS));
  measuring = false;
  const elapsed = performance.now() - t0;
  running = false;
  clearInterval(reaper);
  // Let the requests in flight drain (bounded: each is reaped after 200 ms) before the next slice reuses the sockets.
  const drainStart = performance.now();
  while (sentAt.some((at) => at !== 0) && performance.now() - drainStart < 500) await new Promise((resolve) => setTimeout(resolve, 20));
  peers.forEach((socket, index) => {
    const listener = listeners[index];
    if (listener !== undefined) socket.off('message', listener);
  });
  latencies.sort((a, b) => a - b);
  const p99Ms = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Number.NaN;
  return { rate: (replies * 1000) / elapsed, p99Ms, lost };
}

interface ScaleRow {
  readonly peers: number;
  readonly rate: Record<'ours' | 'bare', number>;
  readonly p99: Record<'ours' | 'bare', number>;
  readonly ratio: Spread;
  readonly lost: Record<'ours' | 'bare', number>;
  /** Memory growth per peer of ours, bytes. */
  readonly rssPerPeer: number;
  readonly heapPerPeer: number;
  readonly bareHeapPerPeer: number;
}

async function scale(peers: number): Promise<ScaleRow> {
  const sockets = await openPeers(peers);
  const servers = { ours: await startServer('udp-ours'), bare: await startServer('udp-bare') };
  try {
    const before = { ours: await servers.ours.memory(), bare: await servers.bare.memory() };
    const after: Partial<Record<'ours' | 'bare', Awaited<ReturnType<BenchServer['memory']>>>> = {};
    const slices: Record<'ours' | 'bare', ScaleSlice[]> = { ours: [], bare: [] };
    for (let i = 0; i < SLICES; i++) {
      for (const name of ['ours', 'bare'] as const) {
        slices[name].push(await scaleSlice(servers[name].port, sockets));
        after[name] ??= await servers[name].memory();
      }
    }
    const median = (name: 'ours' | 'bare', pick: (s: ScaleSlice) => number): number => spreadOf(slices[name].map(pick)).median;
    const heap = (m: Awaited<ReturnType<BenchServer['memory']>> | undefined, b: Awaited<ReturnType<BenchServer['memory']>>): number =>
      ((m?.heapUsed ?? Number.NaN) + (m?.arrayBuffers ?? Number.NaN) - b.heapUsed - b.arrayBuffers) / peers;
    return {
      peers,
      rate: { ours: median('ours', (s) => s.rate), bare: median('bare', (s) => s.rate) },
      p99: { ours: median('ours', (s) => s.p99Ms), bare: median('bare', (s) => s.p99Ms) },
      ratio: sliceRatios(slices.ours.map((s) => s.rate), slices.bare.map((s) => s.rate)),
      lost: { ours: slices.ours.reduce((n, s) => n + s.lost, 0), bare: slices.bare.reduce((n, s) => n + s.lost, 0) },
      rssPerPeer: ((after.ours?.rss ?? Number.NaN) - before.ours.rss) / peers,
      heapPerPeer: heap(after.ours, before.ours),
      bareHeapPerPeer: heap(after.bare, before.bare),
    };
  } finally {
    await servers.ours.stop();
    await servers.bare.stop();
    for (const socket of sockets) socket.close();
  }
}

const started = performance.now();
const one = await both((s) => roundTrips(s.port, 1));
const many = await both((s) => roundTrips(s.port, 16));
const scaled: ScaleRow[] = [];
for (const peers of SCALE_PEERS) scaled.push(await scale(peers));
figure('udp round trips/s, 1 client socket, ours/bare', one.ratio, 'ratio', '>= 0.9');
figure('udp round trips/s, 16 client sockets, ours/bare', many.ratio, 'ratio', '>= 0.9');
for (const row of scaled) {
  figure(`udp replies/s, ${row.peers} peers, ours/bare`, row.ratio, 'ratio');
  figure(`udp replies/s, ${row.peers} peers, ours`, row.rate.ours, '1/s');
  figure(`udp p99 ms, ${row.peers} peers, ours`, row.p99.ours, 'ms');
  figure(`udp p99 ms, ${row.peers} peers, bare`, row.p99.bare, 'ms');
  figure(`udp heap + buffers per peer, ${row.peers} peers, ours`, row.heapPerPeer, 'bytes');
  figure(`udp RSS per peer, ${row.peers} peers, ours`, row.rssPerPeer, 'bytes');
}
table(
  `UDP transport vs bare node:dgram (server in a child process; ${SLICES} interleaved slices of ${DURATION_MS} ms each; Node ${process.version})`,
  ['measure', 'ours (median)', 'bare (median)', 'ratio (median of per-slice ratios, range)'],
  [
    ['round trips/s, 1 client socket', fmt(one.ours), fmt(one.bare), verdictSpread(one.ratio, 0.9)],
    ['round trips/s, 16 client sockets', fmt(many.ours), fmt(many.bare), verdictSpread(many.ratio, 0.9)],
  ],
);
const range = (s: Spread): string => `${s.median.toFixed(2)}x (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
table(
  `UDP server scaling: peers (client sockets) with ${SCALE_WINDOW} requests in flight in rotation (${SLICES} interleaved slices of ${SCALE_DURATION_MS} ms; memory: growth of a fresh server after the first slice, after GC)`,
  ['peers', 'replies/s ours', 'replies/s bare', 'ours/bare (range)', 'p99 ours', 'p99 bare', 'lost ours/bare', 'heap+buf/peer ours (bare)', 'RSS/peer ours'],
  scaled.map((row) => [
    String(row.peers),
    fmt(row.rate.ours),
    fmt(row.rate.bare),
    range(row.ratio),
    `${row.p99.ours.toFixed(2)} ms`,
    `${row.p99.bare.toFixed(2)} ms`,
    `${row.lost.ours}/${row.lost.bare}`,
    `${(row.heapPerPeer / 1024).toFixed(2)} KiB (${(row.bareHeapPerPeer / 1024).toFixed(2)})`,
    `${(row.rssPerPeer / 1024).toFixed(2)} KiB`,
  ]),
);
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
