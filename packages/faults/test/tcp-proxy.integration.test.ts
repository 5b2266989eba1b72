import net from 'node:net';
import { createLengthPrefixedDecoder, createLineDecoder, encodeLengthPrefixed, encodeLine } from '@netlab/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { isFaultError } from '../src/errors.js';
import type { FaultProxy, ProxyEvent } from '../src/proxy-events.js';
import { type TcpFaultProxyOptions, createTcpFaultProxy } from '../src/tcp-proxy.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms: ${what}`));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** A plain node:net server; `onSocket` decides what it does. */
async function startServer(onSocket: (socket: net.Socket) => void): Promise<{ port: number; chunks: Buffer[] }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => chunks.push(chunk));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => { resolve(); });
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, chunks };
}

const echo = (socket: net.Socket): void => {
  socket.pipe(socket);
};

async function startProxy(options: Omit<TcpFaultProxyOptions, 'upstreamHost'>): Promise<FaultProxy> {
  const proxy = await createTcpFaultProxy({ upstreamHost: '127.0.0.1', ...options });
  cleanups.push(async () => {
    await proxy.close();
  });
  return proxy;
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  cleanups.push(() => {
    socket.destroy();
  });
  await withTimeout(new Promise((resolve) => socket.once('connect', resolve)), 5000, 'connect');
  return socket;
}

/** Reads until the socket closes; resolves with the bytes and how it ended. */
function readAll(socket: net.Socket): Promise<{ data: Buffer; error: NodeJS.ErrnoException | undefined }> {
  const parts: Buffer[] = [];
  let error: NodeJS.ErrnoException | undefined;
  socket.on('data', (chunk: Buffer) => parts.push(chunk));
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e));
  return withTimeout(new Promise((resolve) => socket.once('close', () => { resolve({ data: Buffer.concat(parts), error }); })), 10_000, 'close');
}

describe('createTcpFaultProxy', () => {
  it('forwards an echo conversation unchanged and counts it', async () => {
    const server = await startServer(echo);
    const proxy = await startProxy({ upstreamPort: server.port });
    const client = await connect(proxy.port);
    const done = readAll(client);
    client.end('hello through the proxy\n');
    const { data } = await done;
    expect(data.toString()).toBe('hello through the proxy\n');
    const counters = await proxy.close();
    expect(counters.up.bytes).toBe(24);
    expect(counters.down.bytes).toBe(24);
    expect(proxy.stats()).toMatchObject({ sessions: 1, upstreamErrors: 0 });
  });

  it('fragments line-framed traffic with the slicer, and the line decoder reassembles every line', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => `message ${i} ${'é'.repeat(i % 17)} ✓`);
    const server = await startServer((socket) => {
      const decoder = createLineDecoder();
      socket.on('data', (chunk: Buffer) => {
        for (const line of decoder.push(chunk)) socket.write(encodeLine(line));
      });
      socket.on('end', () => socket.end());
    });
    const proxy = await startProxy({
      upstreamPort: server.port,
      seed: 7,
      up: { slicer: true, slicerAverageSize: 5, slicerSizeVariation: 4 },
      down: { slicer: true, slicerAverageSize: 5, slicerSizeVariation: 4 },
    });
    const client = await connect(proxy.port);
    const done = readAll(client);
    client.end(Buffer.concat(lines.map((line) => encodeLine(line))));
    const { data } = await done;
    expect(createLineDecoder().push(data)).toEqual(lines);
    // The server really saw fragments: many more chunks than one, most not ending at a line break.
    expect(server.chunks.length).toBeGreaterThan(50);
    expect(server.chunks.filter((chunk) => chunk.at(-1) !== 0x0a).length).toBeGreaterThan(10);
  });

  it('fragments length-prefixed frames with the slicer, and the frame decoder reassembles every frame', async () => {
    const payloads = Array.from({ length: 300 }, (_, i) => new TextEncoder().encode(JSON.stringify({ seq: i, pad: 'x'.repeat(i % 50) })));
    const framing = { maxFrameBytes: 1024 } as const;
    const server = await startServer((socket) => {
      const decoder = createLengthPrefixedDecoder(framing);
      socket.on('data', (chunk: Buffer) => {
        for (const payload of decoder.push(chunk)) socket.write(encodeLengthPrefixed(payload, framing));
      });
      socket.on('end', () => socket.end());
    });
    const proxy = await startProxy({
      upstreamPort: server.port,
      seed: 8,
      up: { slicer: true, slicerAverageSize: 3, slicerSizeVariation: 2 },
      down: { slicer: true, slicerAverageSize: 7, slicerSizeVariation: 6 },
    });
    const client = await connect(proxy.port);
    const done = readAll(client);
    client.end(Buffer.concat(payloads.map((payload) => encodeLengthPrefixed(payload, framing))));
    const { data } = await done;
    expect(createLengthPrefixedDecoder(framing).push(new Uint8Array(data)).map((p) => new Uint8Array(p))).toEqual(payloads);
    expect(server.chunks.length).toBeGreaterThan(50);
  });

  it('adds latency in each direction', async () => {
    const server = await startServer(echo);
    const proxy = await startProxy({ upstreamPort: server.port, up: { latencyMs: 60 }, down: { latencyMs: 60 } });
    const client = await connect(proxy.port);
    const start = performance.now();
    client.write('ping');
    await withTimeout(new Promise((resolve) => client.once('data', resolve)), 5000, 'echo');
    expect(performance.now() - start).toBeGreaterThanOrEqual(115);
    expect(proxy.counters().up.delayed).toBe(1);
  });

  it('delivers exactly limit-data bytes upstream, then closes the connection', async () => {
    const server = await startServer(() => undefined);
    const proxy = await startProxy({ upstreamPort: server.port, up: { limitDataBytes: 10 } });
    const client = await connect(proxy.port);
    const done = readAll(client);
    client.write('0123456789ABCDEF');
    await done;
    await withTimeout(
      (async () => {
        while (Buffer.concat(server.chunks).length < 10) await new Promise((resolve) => setTimeout(resolve, 5));
      })(),
      5000,
      'upstream data',
    );
    expect(Buffer.concat(server.chunks).toString()).toBe('0123456789');
    expect(proxy.counters().up.reset).toBe(1);
  });

  it('resets a connection chosen by reset-peer', async () => {
    const server = await startServer(echo);
    const events: ProxyEvent[] = [];
    const proxy = await startProxy({ upstreamPort: server.port, resetPeer: 1, onEvent: (e) => events.push(e) });
    const client = await connect(proxy.port);
    const done = readAll(client);
    client.write('doomed');
    const { data, error } = await done;
    expect(data.length).toBe(0);
    expect(error?.code).toBe('ECONNRESET');
    expect(proxy.counters().up.reset).toBe(1);
    expect(events.some((e) => e.type === 'reset')).toBe(true);
  });

  it('stalls data under timeout, then closes the connection', async () => {
    const server = await startServer(echo);
    const proxy = await startProxy({ upstreamPort: server.port, down: { timeoutMs: 100 } });
    const client = await connect(proxy.port);
    const start = performance.now();
    const done = readAll(client);
    client.write('anyone there?');
    const { data } = await done;
    expect(data.length).toBe(0);
    expect(performance.now() - start).toBeGreaterThanOrEqual(90);
  });

  it('resets the client and reports ERR_UPSTREAM_UNREACHABLE when the upstream refuses', async () => {
    const closed = await startServer(() => undefined);
    await cleanups.pop()?.(); // stop it: its port now refuses
    const events: ProxyEvent[] = [];
    const proxy = await startProxy({ upstreamPort: closed.port, onEvent: (e) => events.push(e) });
    const client = await connect(proxy.port);
    const { data } = await readAll(client);
    expect(data.length).toBe(0);
    expect(proxy.stats().upstreamErrors).toBe(1);
    const failure = events.find((e) => e.type === 'upstream-error');
    expect(failure?.type === 'upstream-error' && isFaultError(failure.error, 'ERR_UPSTREAM_UNREACHABLE')).toBe(true);
    expect(failure?.type === 'upstream-error' ? failure.error.message : '').toMatch(/refused/);
  });

  it('applies backpressure: a client that does not read stops the proxy reading the server', async () => {
    const total = 16 * 1024 * 1024;
    let serverSocket: net.Socket | undefined;
    const server = await startServer((socket) => {
      serverSocket = socket;
      socket.write(Buffer.alloc(total, 7));
      socket.end();
    });
    const proxy = await startProxy({ upstreamPort: server.port });
    const client = await connect(proxy.port);
    client.pause();
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Most of the 16 MiB is still waiting in the server's socket: the proxy stopped reading.
    expect(serverSocket?.writableLength ?? 0).toBeGreaterThan(total / 2);
    const done = readAll(client);
    client.resume();
    const { data } = await done;
    expect(data.length).toBe(total);
  });

  it('makes the same reset decisions for the same seed, connection by connection', async () => {
    const server = await startServer(echo);
    const pattern = async (seed: number): Promise<boolean[]> => {
      const proxy = await startProxy({ upstreamPort: server.port, seed, resetPeer: 0.5 });
      const out: boolean[] = [];
      for (let i = 0; i < 16; i++) {
        const client = await connect(proxy.port);
        const done = readAll(client);
        client.end('x');
        out.push((await done).data.length === 0);
      }
      return out;
    };
    const a = await pattern(42);
    expect(await pattern(42)).toEqual(a);
    expect(await pattern(43)).not.toEqual(a);
    expect(a.filter(Boolean).length).toBeGreaterThan(0);
  });

  it('refuses to listen on a taken port with ERR_LISTEN', async () => {
    const proxy = await startProxy({ upstreamPort: 9 });
    let caught: unknown;
    try {
      await createTcpFaultProxy({ port: proxy.port, upstreamHost: '127.0.0.1', upstreamPort: 9 });
    } catch (error) {
      caught = error;
    }
    expect(isFaultError(caught, 'ERR_LISTEN')).toBe(true);
  });

  it('builds data events only for a listener that asked for them, with offsets that rebuild the stream', async () => {
    const server = await startServer(echo);
    const proxy = await startProxy({ upstreamPort: server.port, up: { slicer: true, slicerAverageSize: 3, slicerSizeVariation: 1 } });
    const plain: ProxyEvent[] = [];
    const withData: ProxyEvent[] = [];
    const quiet: ProxyEvent[] = [];
    proxy.subscribe((e) => quiet.push(e), { faults: false });
    proxy.subscribe((e) => plain.push(e));
    const stop = proxy.subscribe((e) => withData.push(e), { data: true });
    const client = await connect(proxy.port);
    const done = readAll(client);
    client.end('sliced on the way up\n');
    await done;
    expect(plain.some((e) => e.type === 'data')).toBe(false);
    expect(plain.some((e) => e.type === 'fault' && e.decision.decision === 'sliced')).toBe(true);
    expect(quiet.map((e) => e.type)).toEqual(['open', 'close']);
    const up = withData.flatMap((e) => (e.type === 'data' && e.direction === 'up' ? [e] : []));
    expect(up.length).toBeGreaterThan(3);
    let offset = 0;
    for (const event of up) {
      expect(event.offset).toBe(offset);
      offset += event.bytes.length;
    }
    expect(Buffer.concat(up.map((e) => e.bytes)).toString()).toBe('sliced on the way up\n');
    stop();
  });
});
