/**
 * What the chat benchmarks share (chat-fanout, chat-scaling, chat-redis): child processes driven
 * over IPC (the room servers of chat-fanout-server.ts and the member processes of
 * chat-fanout-client.ts), open-file limits, and one offered-rate step measured the same way
 * everywhere. Not a benchmark itself.
 *
 * A step: every client process sends its share of `rate` lines per second for `durationMs`
 * (`senders` members each), each line reaching every member of the room; it measures the
 * deliveries per second received in the sending window, then waits for every delivery (up to
 * `drainMs`) and merges the clients' latency histograms (0.1 ms buckets) into p50/p99/max.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { join } from 'node:path';

/** Width of a latency bucket of chat-fanout-client.ts, in ms. */
export const BUCKET_MS = 0.1;

/** Soft and hard limits on open files, as a shell sees them (children inherit them). */
export function fileLimits(): { soft: number; hard: number } {
  const [soft, hard] = execFileSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' }).trim().split('\n');
  const parse = (value: string | undefined): number => (value === 'unlimited' ? Infinity : Number(value));
  return { soft: parse(soft), hard: parse(hard) };
}

export interface ForkOptions {
  /** Raise the child's soft open-file limit to this (within the hard one) before node starts. */
  readonly fileLimit?: number | undefined;
  /** Extra node flags (e.g. `--expose-gc`). Default `--expose-gc`. */
  readonly nodeFlags?: readonly string[];
}

/** Forks a bench/ script under tsx with an IPC channel. */
export function forkChild(script: string, args: readonly string[], options: ForkOptions = {}): ChildProcess {
  const node = ['--import', 'tsx', ...(options.nodeFlags ?? ['--expose-gc'])];
  const stdio = { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] as ('ignore' | 'inherit' | 'ipc')[] };
  const path = join(import.meta.dirname, script);
  if (options.fileLimit === undefined) return fork(path, args, { ...stdio, execArgv: node });
  return fork(path, args, {
    ...stdio,
    execPath: 'sh',
    execArgv: ['-c', `ulimit -n ${options.fileLimit} && exec "$0" "$@"`, process.execPath, ...node],
  });
}

/** The next IPC message of `type` from `child` (rejects on an `error` message, an exit or the timeout). */
export function next<T>(child: ChildProcess, type: string, timeoutMs = 60_000): Promise<T> {
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

export function ask<T>(child: ChildProcess, message: object, reply: string, timeoutMs?: number): Promise<T> {
  const answer = next<T>(child, reply, timeoutMs);
  child.send(message);
  return answer;
}

/** SIGTERMs `child` and resolves once it has exited. */
export function stop(child: ChildProcess): Promise<void> {
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

/** Tells member processes to close their sockets, then waits for them to exit. */
export async function closeClients(clients: readonly ChildProcess[]): Promise<void> {
  for (const client of clients) if (client.connected) client.send({ type: 'close' });
  await Promise.all(clients.map(stop));
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function percentile(histogram: Map<number, number>, total: number, p: number): number {
  const rank = Math.ceil(total * p);
  let seen = 0;
  for (const bucket of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bucket) ?? 0;
    if (seen >= rank) return (bucket + 1) * BUCKET_MS;
  }
  return NaN;
}

export interface StepOptions {
  /** Lines per second into the room, over all client processes. */
  readonly rate: number;
  /** Members in the room (each line is delivered to all of them). */
  readonly members: number;
  /** Senders per client process. */
  readonly senders: number;
  readonly durationMs: number;
  /** Longest wait for the backlog after the window. */
  readonly drainMs: number;
}

export interface StepResult {
  /** Lines sent. */
  readonly sent: number;
  /** Deliveries received (window and drain). */
  readonly deliveries: number;
  /** Deliveries per second received in the sending window. */
  readonly delivered: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Every delivery of every line arrived within `drainMs`. */
  readonly drained: boolean;
}

/** One offered-rate step over `clients` (see the header). */
export async function runStep(clients: readonly ChildProcess[], options: StepOptions): Promise<StepResult> {
  await Promise.all(clients.map((client) => ask(client, { type: 'reset' }, 'reset')));
  const done = await Promise.all(
    clients.map((client) =>
      ask<{ sent: number; receivedInWindow: number; windowMs: number }>(
        client,
        { type: 'start', rate: options.rate / clients.length, senders: options.senders, durationMs: options.durationMs },
        'done',
        options.durationMs + 60_000,
      ),
    ),
  );
  const sent = done.reduce((sum, d) => sum + d.sent, 0);
  const windowMs = Math.max(...done.map((d) => d.windowMs));
  const delivered = (done.reduce((sum, d) => sum + d.receivedInWindow, 0) * 1000) / windowMs;
  const deadline = performance.now() + options.drainMs;
  let stats: { received: number; buckets: [number, number][] }[];
  for (;;) {
    stats = await Promise.all(clients.map((client) => ask<{ received: number; buckets: [number, number][] }>(client, { type: 'stats' }, 'stats')));
    const received = stats.reduce((sum, s) => sum + s.received, 0);
    if (received >= sent * options.members || performance.now() > deadline) break;
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
  return {
    sent,
    deliveries: total,
    delivered,
    p50: percentile(histogram, total, 0.5),
    p99: percentile(histogram, total, 0.99),
    max: percentile(histogram, total, 1),
    drained: total >= sent * options.members,
  };
}

/** Memory of a room server process after two full GCs (chat-fanout-server.ts `memory`). */
export interface ServerMemory {
  readonly rss: number;
  readonly heapUsed: number;
  /** Resident bytes of V8's young generation (new space), whose size V8 adapts to the allocation rate. */
  readonly newSpace: number;
  /** Resident bytes of the whole V8 heap (every space, live objects or not). */
  readonly heapPhysical: number;
}

/**
 * Live memory: the live JS heap plus everything outside V8's heap (RSS minus the heap's resident
 * pages: malloc'ed socket handles, libuv, kernel-facing buffers). Leaves out the heap pages V8
 * keeps or releases at its own pace, which swing RSS by megabytes between two measurements.
 */
export const liveBytes = (m: ServerMemory): number => m.heapUsed + m.rss - m.heapPhysical;
