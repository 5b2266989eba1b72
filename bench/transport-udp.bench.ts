/**
 * UDP transport against a bare node:dgram echo, client and server in separate processes.
 *
 * Run: node --import tsx bench/transport-udp.bench.ts   (about 35 s)
 *
 * Both servers echo each datagram to its sender; the same raw node:dgram client drives both
 * (ours: createUdpServer + text datagram codec + echo service with per-peer sessions). Measured:
 * round trips per second with 1 and with 16 client sockets, each keeping one datagram in flight
 * (a lost datagram is re-sent after 200 ms so a run never stalls).
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

const started = performance.now();
const one = await both((s) => roundTrips(s.port, 1));
const many = await both((s) => roundTrips(s.port, 16));
figure('udp round trips/s, 1 client socket, ours/bare', one.ratio, 'ratio', '>= 0.9');
figure('udp round trips/s, 16 client sockets, ours/bare', many.ratio, 'ratio', '>= 0.9');
table(
  `UDP transport vs bare node:dgram (server in a child process; ${SLICES} interleaved slices of ${DURATION_MS} ms each; Node ${process.version})`,
  ['measure', 'ours (median)', 'bare (median)', 'ratio (median of per-slice ratios, range)'],
  [
    ['round trips/s, 1 client socket', fmt(one.ours), fmt(one.bare), verdictSpread(one.ratio, 0.9)],
    ['round trips/s, 16 client sockets', fmt(many.ours), fmt(many.bare), verdictSpread(many.ratio, 0.9)],
  ],
);
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
