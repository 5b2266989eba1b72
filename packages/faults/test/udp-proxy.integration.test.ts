import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { isFaultError } from '../src/errors.js';
import type { FaultProxy, ProxyEvent } from '../src/proxy-events.js';
import { type UdpFaultProxyOptions, createUdpFaultProxy } from '../src/udp-proxy.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(5);
  }
}

async function bind(onMessage?: (socket: dgram.Socket, message: Buffer, rinfo: dgram.RemoteInfo) => void): Promise<{ socket: dgram.Socket; port: number; received: Buffer[] }> {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (message, rinfo) => {
    received.push(message);
    onMessage?.(socket, message, rinfo);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => { resolve(); })));
  return { socket, port: socket.address().port, received };
}

const echoServer = (): ReturnType<typeof bind> =>
  bind((socket, message, rinfo) => {
    socket.send(message, rinfo.port, rinfo.address);
  });

async function startProxy(options: Omit<UdpFaultProxyOptions, 'upstreamHost'>): Promise<FaultProxy> {
  const proxy = await createUdpFaultProxy({ upstreamHost: '127.0.0.1', ...options });
  cleanups.push(async () => {
    await proxy.close();
  });
  return proxy;
}

/**
 * Sends `count` numbered datagrams in batches of 25, waiting for the proxy to decide each batch
 * before the next: loopback socket buffers are finite, and a datagram the kernel drops before the
 * proxy sees it would make the counters disagree with what was sent.
 */
async function sendNumbered(client: dgram.Socket, proxy: FaultProxy, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const datagram = Buffer.alloc(4);
    datagram.writeUInt32BE(i);
    client.send(datagram, proxy.port, '127.0.0.1');
    if (i % 25 === 24 || i === count - 1) {
      const sent = i + 1;
      await until(() => proxy.counters().up.forwarded + proxy.counters().up.dropped === sent, 10_000, `datagrams up to ${sent} decided`);
    }
  }
}

describe('createUdpFaultProxy', () => {
  it('forwards datagrams both ways unchanged and counts them', async () => {
    const server = await echoServer();
    const proxy = await startProxy({ upstreamPort: server.port });
    const client = await bind();
    client.socket.send('hello', proxy.port, '127.0.0.1');
    await until(() => client.received.length === 1, 5000, 'echo');
    expect(client.received[0]?.toString()).toBe('hello');
    expect(proxy.counters().up).toMatchObject({ forwarded: 1, bytes: 5 });
    expect(proxy.counters().down).toMatchObject({ forwarded: 1, bytes: 5 });
  });

  it('routes each client’s replies back to that client through its own upstream socket', async () => {
    const server = await echoServer();
    const proxy = await startProxy({ upstreamPort: server.port });
    const a = await bind();
    const b = await bind();
    a.socket.send('from a', proxy.port, '127.0.0.1');
    b.socket.send('from b', proxy.port, '127.0.0.1');
    await until(() => a.received.length === 1 && b.received.length === 1, 5000, 'both echoes');
    expect(a.received.map(String)).toEqual(['from a']);
    expect(b.received.map(String)).toEqual(['from b']);
    expect(proxy.stats()).toMatchObject({ sessions: 2, open: 2 });
  });

  it('loses datagrams at the loss rate, and exactly the ones the counters say', async () => {
    const server = await echoServer();
    const proxy = await startProxy({ upstreamPort: server.port, seed: 5, up: { loss: 0.2 } });
    const client = await bind();
    await sendNumbered(client.socket, proxy, 2000);
    await until(() => client.received.length === proxy.counters().up.forwarded, 5000, 'echoes');
    expect(Math.abs(proxy.counters().up.dropped / 2000 - 0.2)).toBeLessThan(0.04);
  });

  it('duplicates every reply with duplicate 100% downstream', async () => {
    const server = await echoServer();
    const proxy = await startProxy({ upstreamPort: server.port, down: { duplicate: 1 } });
    const client = await bind();
    client.socket.send('twice', proxy.port, '127.0.0.1');
    await until(() => client.received.length === 2, 5000, 'two copies');
    expect(client.received.map(String)).toEqual(['twice', 'twice']);
    expect(proxy.counters().down.duplicated).toBe(1);
  });

  it('flips one bit with corrupt 100%', async () => {
    const server = await echoServer();
    const proxy = await startProxy({ upstreamPort: server.port, up: { corrupt: 1 } });
    const client = await bind();
    client.socket.send(Buffer.alloc(16), proxy.port, '127.0.0.1');
    await until(() => client.received.length === 1, 5000, 'echo');
    const bits = [...(client.received[0] ?? [])].reduce((sum, byte) => sum + byte.toString(2).replaceAll('0', '').length, 0);
    expect(bits).toBe(1);
  });

  it('delays datagrams by delay ± jitter', async () => {
    const server = await echoServer();
    const proxy = await startProxy({ upstreamPort: server.port, up: { delayMs: 80, jitterMs: 10 } });
    const client = await bind();
    const start = performance.now();
    client.socket.send('late', proxy.port, '127.0.0.1');
    await until(() => client.received.length === 1, 5000, 'echo');
    expect(performance.now() - start).toBeGreaterThanOrEqual(69);
  });

  it('makes the same loss decisions for the same seed', async () => {
    const server = await echoServer();
    const lost = async (seed: number): Promise<number[]> => {
      const proxy = await startProxy({ upstreamPort: server.port, seed, up: { loss: 0.3 } });
      const client = await bind();
      await sendNumbered(client.socket, proxy, 300);
      await until(() => client.received.length === proxy.counters().up.forwarded, 5000, 'echoes');
      const got = new Set(client.received.map((d) => d.readUInt32BE(0)));
      return Array.from({ length: 300 }, (_, i) => i).filter((i) => !got.has(i));
    };
    const a = await lost(77);
    expect(await lost(77)).toEqual(a);
    expect(await lost(78)).not.toEqual(a);
  });

  it('reports ERR_UPSTREAM_UNREACHABLE when no server listens upstream', async () => {
    const gone = await bind();
    await cleanups.pop()?.();
    const events: ProxyEvent[] = [];
    const proxy = await startProxy({ upstreamPort: gone.port, onEvent: (e) => events.push(e) });
    const client = await bind();
    client.socket.send('anyone?', proxy.port, '127.0.0.1');
    await until(() => proxy.stats().upstreamErrors === 1, 5000, 'upstream error');
    const failure = events.find((e) => e.type === 'upstream-error');
    expect(failure?.type === 'upstream-error' && isFaultError(failure.error, 'ERR_UPSTREAM_UNREACHABLE')).toBe(true);
    expect(proxy.stats().open).toBe(0);
  });

  it('keeps at most maxClients entries, evicting the least recently active', async () => {
    const server = await echoServer();
    const events: ProxyEvent[] = [];
    const proxy = await startProxy({ upstreamPort: server.port, maxClients: 1, onEvent: (e) => events.push(e) });
    const a = await bind();
    const b = await bind();
    a.socket.send('a', proxy.port, '127.0.0.1');
    await until(() => a.received.length === 1, 5000, 'a echo');
    b.socket.send('b', proxy.port, '127.0.0.1');
    await until(() => b.received.length === 1, 5000, 'b echo');
    expect(proxy.stats()).toMatchObject({ sessions: 2, open: 1 });
    expect(events.filter((e) => e.type === 'evicted').map((e) => e.id)).toEqual([0]);
  });

  it('forgets a client idle for clientIdleMs', async () => {
    const server = await echoServer();
    const proxy = await startProxy({ upstreamPort: server.port, clientIdleMs: 50 });
    const client = await bind();
    client.socket.send('hi', proxy.port, '127.0.0.1');
    await until(() => client.received.length === 1, 5000, 'echo');
    await until(() => proxy.stats().open === 0, 2000, 'expiry');
    expect(proxy.counters().up.forwarded).toBe(1);
  });
});
