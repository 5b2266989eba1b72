/**
 * Child process of the chat fan-out benchmark: a share of the room's members, all on raw
 * node:net sockets, driven over IPC by chat-fanout.bench.ts. Not a benchmark itself.
 *
 * argv: <port> <count> <first index>. Members log in as `c<index>` (a few connects at a time, so
 * the listen backlog never overflows), then report `ready`. On `start` a few of them send lines at
 * an offered rate for a fixed time: each line is the send time in microseconds of the system-wide
 * monotonic clock (`process.hrtime`, CLOCK_MONOTONIC on Linux, the same in every process), so a
 * receiver in any process computes the delivery latency of each `c<i>: <time>` line it reads.
 * Latencies go into a 0.1 ms histogram (10 s range), merged by the parent.
 */
import { type Socket, connect } from 'node:net';

const port = Number(process.argv[2]);
const count = Number(process.argv[3]);
const first = Number(process.argv[4] ?? '0');

const BUCKET_US = 100;
const BUCKETS = 100_000;
const CONNECTS_IN_FLIGHT = 32;
const TICK_MS = 5;

const sockets: Socket[] = [];
const histogram = new Uint32Array(BUCKETS + 1);
let received = 0;

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

function send(message: unknown): void {
  process.send?.(message);
}

/** Counts the `<name>: <digits>` lines of a chunk and records their latency; returns the partial tail. */
function consume(data: Buffer): Buffer | undefined {
  const now = nowUs();
  let start = 0;
  for (let at = data.indexOf(0x0a); at !== -1; at = data.indexOf(0x0a, start)) {
    const colon = data.indexOf(0x3a, start);
    if (colon !== -1 && colon < at && data[colon + 1] === 0x20) {
      let sent = 0;
      let digits = 0;
      for (let i = colon + 2; i < at; i++) {
        const c = data[i] ?? 0;
        if (c < 0x30 || c > 0x39) break;
        sent = sent * 10 + (c - 0x30);
        digits++;
      }
      if (digits > 0) {
        received++;
        const bucket = Math.floor((now - sent) / BUCKET_US);
        histogram[bucket < 0 ? 0 : bucket > BUCKETS ? BUCKETS : bucket]! += 1;
      }
    }
    start = at + 1;
  }
  return start < data.length ? data.subarray(start) : undefined;
}

/** Connects member `index`, logs it in and resolves once its `Welcome` line arrived. */
function join(index: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let carry: Buffer | undefined;
    let welcomed = false;
    socket.once('error', reject);
    socket.on('connect', () => socket.write(`c${index}\n`));
    socket.on('data', (chunk: Buffer) => {
      let data = carry === undefined ? chunk : Buffer.concat([carry, chunk]);
      if (!welcomed) {
        const at = data.indexOf(0x0a);
        if (at === -1) {
          carry = data;
          return;
        }
        if (!data.toString('utf8', 0, at).startsWith('Welcome')) {
          reject(new Error(`c${index} was not welcomed: ${data.toString('utf8', 0, at)}`));
          return;
        }
        welcomed = true;
        socket.off('error', reject);
        socket.on('error', () => undefined);
        resolve(socket);
        data = data.subarray(at + 1);
      }
      carry = consume(data);
    });
  });
}

async function joinAll(): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = first + next++;
      sockets.push(await join(index));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONNECTS_IN_FLIGHT, count) }, worker));
}

/** Sends `rate` lines per second, spread over `senders` members, for `durationMs`. */
function run(rate: number, senders: number, durationMs: number): void {
  const from = sockets.slice(0, Math.max(1, Math.min(senders, sockets.length)));
  const startReceived = received;
  const t0 = performance.now();
  let sent = 0;
  let turn = 0;
  const timer = setInterval(() => {
    const elapsed = performance.now() - t0;
    const due = Math.floor((rate * Math.min(elapsed, durationMs)) / 1000) - sent;
    if (due > 0) {
      // Open loop with catch-up: a late tick sends what it owes, each sender's share in one write.
      const perSender: string[][] = from.map(() => []);
      const stamp = `${nowUs()}\n`;
      for (let i = 0; i < due; i++) perSender[turn++ % from.length]!.push(stamp);
      from.forEach((socket, i) => {
        const lines = perSender[i]!;
        if (lines.length > 0) socket.write(lines.join(''));
      });
      sent += due;
    }
    if (elapsed >= durationMs) {
      clearInterval(timer);
      send({ type: 'done', sent, receivedInWindow: received - startReceived, windowMs: performance.now() - t0 });
    }
  }, TICK_MS);
}

process.on('message', (message: { type?: string; rate?: number; senders?: number; durationMs?: number }) => {
  switch (message.type) {
    case 'start':
      run(message.rate ?? 0, message.senders ?? 1, message.durationMs ?? 1000);
      break;
    case 'stats': {
      const buckets: [number, number][] = [];
      histogram.forEach((n, bucket) => {
        if (n > 0) buckets.push([bucket, n]);
      });
      send({ type: 'stats', received, buckets });
      break;
    }
    case 'reset':
      received = 0;
      histogram.fill(0);
      send({ type: 'reset' });
      break;
    case 'close':
      for (const socket of sockets) socket.destroy();
      process.disconnect();
      break;
    default:
      break;
  }
});

try {
  await joinAll();
  send({ type: 'ready', members: sockets.length });
} catch (error) {
  send({ type: 'error', message: (error as Error).message });
  process.exitCode = 1;
  process.disconnect();
}
