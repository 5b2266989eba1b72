/**
 * What tracing costs (@netlab/trace), measured in one process with variants interleaved
 * (A B C A B C …, SLICES slices each); each table gives the median and the range over slices.
 *
 * 1. The writer, per record: the recorder's fast path (`flow.data('in', chunk)`: one template
 *    string per record, the flow's constant part formatted once) against building a record object
 *    and `JSON.stringify`-ing it, and against tracing off (`flow?.data(...)` on undefined), into a
 *    sink that accepts and discards; then the fast path into a real file stream.
 * 2. An echo exchange through a TCP relay on loopback, untraced against traced to a file: the
 *    relay records both legs (the fault proxy's shape).
 * 3. The real thing (issue 12's goal: a traced echo server within 2x of an untraced one): two
 *    `netlab echo server` processes (the clone's launcher), one with `--trace FILE`, the other
 *    without, driven by the same lock-step client, interleaved.
 *
 * Run: pnpm bench trace   (NETLAB_BENCH_RECORDS, NETLAB_BENCH_EXCHANGES, NETLAB_BENCH_SLICES change the sizes)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLineCodec } from '@netlab/codec';
import { createEchoService } from '@netlab/service-text';
import { type FlowTracer, type TraceSink, type Tracer, createTraceWriter, createTracer } from '@netlab/trace';
import { createTcpServer } from '@netlab/transport-tcp';
import { fmt, table, verdict } from './harness.js';

const SLICES = Number(process.env.NETLAB_BENCH_SLICES ?? 9);
const RECORDS = Number(process.env.NETLAB_BENCH_RECORDS ?? 200_000);
const EXCHANGES = Number(process.env.NETLAB_BENCH_EXCHANGES ?? 2_000);

/** Runs the variants in alternation SLICES times (after one warm-up each); returns each one's times. */
async function interleaved<K extends string>(variants: Record<K, () => unknown>): Promise<Record<K, number[]>> {
  const names = Object.keys(variants) as K[];
  const times = {} as Record<K, number[]>;
  for (const name of names) {
    times[name] = [];
    await variants[name]();
  }
  for (let slice = 0; slice < SLICES; slice++) {
    for (const name of names) {
      const start = process.hrtime.bigint();
      await variants[name]();
      times[name].push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return times;
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const range = (values: readonly number[], digits: number): string => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
const ratios = (a: readonly number[], b: readonly number[]): number[] => a.map((value, index) => value / (b[index] ?? Number.NaN));

// --- 1. the writer, per record ---------------------------------------------------------------
const chunk = Buffer.from('GET /resource/12345 HTTP/1.1 and some more bytes of a line, 64 b\n');
const discard: TraceSink = { write: () => true };
const local = { addr: '127.0.0.1', port: 7102 };
const remote = { addr: '127.0.0.1', port: 50412 };

function flowOn(sink: TraceSink): FlowTracer {
  const tracer = createTracer(createTraceWriter(sink), { role: 'server', label: 'echo' });
  return tracer.flow({ transport: 'tcp', local, remote, initiator: 'remote' });
}

const fast = flowOn(discard);
const naiveSink = discard;
const off = undefined as FlowTracer | undefined;
const dir = mkdtempSync(join(tmpdir(), 'netlab-trace-bench-'));

const perRecord = await interleaved({
  off: () => {
    for (let i = 0; i < RECORDS; i++) off?.data('in', chunk);
  },
  recorder: () => {
    for (let i = 0; i < RECORDS; i++) fast.data('in', chunk);
  },
  stringify: () => {
    for (let i = 0; i < RECORDS; i++) {
      const record = {
        v: 1,
        t: performance.timeOrigin + performance.now(),
        kind: 'data',
        role: 'server',
        label: 'echo',
        transport: 'tcp',
        flow: '1',
        dir: 'in',
        from: { addr: remote.addr, port: remote.port },
        to: { addr: local.addr, port: local.port },
        len: chunk.length,
        bytes: chunk.toString('base64'),
      };
      naiveSink.write(`${JSON.stringify(record)}\n`);
    }
  },
  recorderToFile: async () => {
    // A buffer that holds the whole slice, so nothing is dropped and close() waits for the disk.
    const file = createWriteStream(join(dir, 'records.jsonl'));
    const writer = createTraceWriter(file, { maxBufferedBytes: 256 * 1024 * 1024 });
    const flow = createTracer(writer, { role: 'server', label: 'echo' }).flow({ transport: 'tcp', local, remote, initiator: 'remote' });
    for (let i = 0; i < RECORDS; i++) flow.data('in', chunk);
    await writer.close();
    const { dropped } = writer.stats();
    if (dropped > 0) console.log(`(file sink: ${dropped} of ${RECORDS} records dropped by the writer's buffer limit)`);
  },
});
const ns = (times: readonly number[]): number[] => times.map((ms) => (ms * 1e6) / RECORDS);
table(
  `Trace writer, ${RECORDS} data records of ${chunk.length} bytes per slice, ${SLICES} interleaved slices (ns per record: median, range)`,
  ['variant', 'ns/record', 'range', 'records/s', 'vs recorder (median, range)'],
  (['off', 'recorder', 'stringify', 'recorderToFile'] as const).map((name) => {
    const values = ns(perRecord[name]);
    const vs = ratios(perRecord[name], perRecord.recorder);
    return [name, median(values).toFixed(1), range(values, 1), fmt(1e9 / median(values)), `${median(vs).toFixed(2)}x (${range(vs, 2)})`];
  }),
);

// --- 2. an echo exchange through a relay, untraced vs traced ---------------------------------
/** A TCP relay; with a tracer it records both legs like the fault proxy. */
async function startRelay(upstreamPort: number, tracer: Tracer | undefined): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((client) => {
    count += 1;
    const id = String(count);
    client.pause();
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    const endpoint = (socket: net.Socket, which: 'local' | 'remote'): { addr: string; port: number } =>
      which === 'local' ? { addr: socket.localAddress ?? '127.0.0.1', port: socket.localPort ?? 0 } : { addr: socket.remoteAddress ?? '127.0.0.1', port: socket.remotePort ?? 0 };
    const front = tracer?.flow({ transport: 'tcp', side: 'client', id, local: endpoint(client, 'local'), remote: endpoint(client, 'remote'), initiator: 'remote' });
    front?.open();
    let back: FlowTracer | undefined;
    upstream.on('connect', () => {
      back = tracer?.flow({ transport: 'tcp', side: 'server', id, local: endpoint(upstream, 'local'), remote: endpoint(upstream, 'remote'), initiator: 'local' });
      back?.open();
      client.resume();
    });
    client.on('data', (data: Buffer) => {
      front?.data('in', data);
      back?.data('out', data);
      upstream.write(data);
    });
    upstream.on('data', (data: Buffer) => {
      back?.data('in', data);
      front?.data('out', data);
      client.write(data);
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => { resolve(); });
      }),
  };
}

/** EXCHANGES lines sent one at a time, each after its echo, over one connection. */
async function exchange(port: number): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.setNoDelay(true);
  let buffered = '';
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('data', (data: Buffer) => {
      buffered += data.toString('latin1');
      while (buffered.includes('\n')) {
        buffered = buffered.slice(buffered.indexOf('\n') + 1);
        done += 1;
        if (done === EXCHANGES) {
          resolve();
          return;
        }
        socket.write('hello through the relay\n');
      }
    });
    socket.write('hello through the relay\n');
  });
  socket.destroy();
}

const echo = createTcpServer({ codec: createLineCodec(), service: createEchoService(), host: '127.0.0.1', port: 0 });
const { port: echoPort } = await echo.listen();
const plain = await startRelay(echoPort, undefined);
const traceFile = createWriteStream(join(dir, 'relay.jsonl'));
const traceWriter = createTraceWriter(traceFile);
const traced = await startRelay(echoPort, createTracer(traceWriter, { role: 'proxy', label: 'relay' }));
const relay = await interleaved({
  untraced: () => exchange(plain.port),
  traced: () => exchange(traced.port),
});
const vs = ratios(relay.traced, relay.untraced);
table(
  `Echo through a relay on loopback, ${EXCHANGES} lock-step exchanges per slice, ${SLICES} interleaved slices`,
  ['variant', 'exchanges/s (median)', 'ms per slice (range)', 'traced / untraced time (median, range)'],
  [
    ['untraced', fmt((EXCHANGES * 1000) / median(relay.untraced)), range(relay.untraced, 0), ''],
    ['traced (both legs, to a file)', fmt((EXCHANGES * 1000) / median(relay.traced)), range(relay.traced, 0), `${median(vs).toFixed(2)}x (${range(vs, 2)})`],
  ],
);
console.log(`\ntrace records written by the traced relay: ${traceWriter.stats().written}, dropped: ${traceWriter.stats().dropped}`);
await plain.close();
await traced.close();
await traceWriter.close();
await echo.close({ graceMs: 100 });

// --- 3. netlab echo server --trace FILE against netlab echo server ---------------------------
const LAUNCHER = join(import.meta.dirname, '..', 'netlab');

/** Starts `netlab echo server --port 0 ...extra` and resolves with its port once it prints the startup line. */
async function startEchoProcess(extra: readonly string[]): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(LAUNCHER, ['echo', 'server', '--port', '0', ...extra], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('netlab echo server did not start within 60 s'));
    }, 60_000);
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const match = /listening on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (match !== null) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`netlab echo server exited early: ${out}`));
    });
  });
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

const serverTrace = join(dir, 'server.jsonl');
const untracedServer = await startEchoProcess([]);
const tracedServer = await startEchoProcess(['--trace', serverTrace]);
const servers = await interleaved({
  untraced: () => exchange(untracedServer.port),
  traced: () => exchange(tracedServer.port),
});
await untracedServer.stop();
await tracedServer.stop();
const serverVs = ratios(servers.traced, servers.untraced);
table(
  `netlab echo server processes, ${EXCHANGES} lock-step exchanges per slice, ${SLICES} interleaved slices`,
  ['variant', 'exchanges/s (median)', 'ms per slice (range)', 'traced / untraced time (median, range)'],
  [
    ['netlab echo server', fmt((EXCHANGES * 1000) / median(servers.untraced)), range(servers.untraced, 0), ''],
    ['netlab echo server --trace FILE', fmt((EXCHANGES * 1000) / median(servers.traced)), range(servers.traced, 0), `${verdict(median(serverVs), 2, false)} (${range(serverVs, 2)})`],
  ],
);
const { size } = statSync(serverTrace);
console.log(`
--trace file written by the traced server: ${fmt(size)} bytes (${fmt((SLICES + 1) * EXCHANGES * 2)} data records expected)`);
rmSync(dir, { recursive: true, force: true });
