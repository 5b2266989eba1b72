import type { Socket } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { createDatagramCodec, createTextCodec } from '@netlab/codec';
import type { Service } from '@netlab/service';
import { afterEach, describe, expect, it } from 'vitest';
import { type UdpServer, type UdpServerEvent, type UdpServerOptions, createUdpClient, createUdpServer } from '../src/index.js';
import { rawUdp, sleep, testService, until, within } from './helpers.js';

const codec = createDatagramCodec(createTextCodec(), undefined, { maxDatagramBytes: 100 });
const servers: UdpServer[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
});

async function start(service: Service<string, string>, options: Partial<UdpServerOptions<string, string>> = {}) {
  const events: UdpServerEvent[] = [];
  const server = createUdpServer({ codec, service, onEvent: (e) => events.push(e), ...options });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port, events };
}

async function raw(type: 'udp4' | 'udp6' = 'udp4') {
  const client = await rawUdp(type);
  sockets.push(client.socket);
  return client;
}

const hasIpv6Loopback = Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === '::1'));

describe('createUdpServer', () => {
  it('replies to the sender of each datagram, keeping one session per address:port', async () => {
    const service = testService();
    const { server, port } = await start(service);
    const a = await raw();
    const b = await raw();
    for (const m of ['x', 'count']) a.socket.send(m, port, '127.0.0.1');
    await within(until(() => a.received.length === 2, 2000), 3000);
    b.socket.send('count', port, '127.0.0.1');
    await within(until(() => b.received.length === 1, 2000), 3000);
    expect(a.received).toEqual(['x', '2']);
    expect(b.received).toEqual(['1']);
    expect(server.sessions).toBe(2);
  });

  it('accepts a datagram of exactly maxDatagramBytes and answers one byte more through service.malformed', async () => {
    const { server, port, events } = await start(testService());
    const client = await raw();
    client.socket.send('a'.repeat(100), port, '127.0.0.1');
    await within(until(() => client.received.length === 1, 2000), 3000);
    client.socket.send('a'.repeat(101), port, '127.0.0.1');
    await within(until(() => client.received.length === 2, 2000), 3000);
    expect(client.received).toEqual(['a'.repeat(100), 'ERR ERR_DATAGRAM_TOO_LARGE']);
    expect(server.stats().malformed).toBe(1);
    const malformed = events.find((e) => e.type === 'malformed');
    expect(malformed?.type === 'malformed' && malformed.answered).toBe(true);
  });

  it('drops and counts malformed datagrams when the service has no malformed hook', async () => {
    const { server, port } = await start(testService(false));
    const client = await raw();
    client.socket.send(Buffer.from([0xff, 0xfe]), port, '127.0.0.1'); // invalid UTF-8
    client.socket.send('after', port, '127.0.0.1');
    await within(until(() => client.received.length === 1, 2000), 3000);
    expect(client.received).toEqual(['after']);
    expect(server.stats().malformed).toBe(1);
  });

  it('expires a silent peer session after sessionTtlMs and opens a fresh one on its next datagram', async () => {
    const service = testService();
    const { server, port } = await start(service, { sessionTtlMs: 150 });
    const client = await raw();
    client.socket.send('count', port, '127.0.0.1');
    await within(until(() => client.received.length === 1, 2000), 3000);
    await within(until(() => service.closes.length === 1, 2000), 3000);
    expect(service.closes[0]?.kind).toBe('expired');
    expect(server.sessions).toBe(0);
    client.socket.send('count', port, '127.0.0.1');
    await within(until(() => client.received.length === 2, 2000), 3000);
    expect(client.received).toEqual(['1', '1']);
    expect(server.stats().sessionsExpired).toBe(1);
  });

  it('keeps a session alive while its peer keeps talking', async () => {
    const service = testService();
    const { port } = await start(service, { sessionTtlMs: 200 });
    const client = await raw();
    for (let i = 0; i < 6; i++) {
      client.socket.send('count', port, '127.0.0.1');
      await sleep(60);
    }
    await within(until(() => client.received.length === 6, 2000), 3000);
    expect(client.received.at(-1)).toBe('6');
    expect(service.closes).toEqual([]);
  });

  it('evicts the least recently active idle session for a new peer past maxSessions, and says so', async () => {
    const service = testService();
    const { server, port, events } = await start(service, { maxSessions: 2, busyReply: 'BUSY' });
    const [a, b, c] = [await raw(), await raw(), await raw()];
    a.socket.send('count', port, '127.0.0.1');
    await within(until(() => a.received.length === 1, 2000), 3000);
    b.socket.send('count', port, '127.0.0.1');
    await within(until(() => b.received.length === 1, 2000), 3000);
    a.socket.send('count', port, '127.0.0.1'); // a is now more recently active than b
    await within(until(() => a.received.length === 2, 2000), 3000);
    c.socket.send('count', port, '127.0.0.1');
    await within(until(() => c.received.length === 1, 2000), 3000);
    expect(c.received).toEqual(['1']);
    expect(server.stats()).toMatchObject({ evicted: 1, rejected: 0, sessionsActive: 2 });
    const evicted = events.find((e) => e.type === 'evicted');
    expect(evicted?.type === 'evicted' && evicted.peer.port).toBe(b.socket.address().port);
    expect(service.closes.map((r) => r.kind)).toEqual(['evicted']);
    b.socket.send('count', port, '127.0.0.1'); // b comes back: a fresh session (evicting a, now the oldest)
    await within(until(() => b.received.length === 2, 2000), 3000);
    expect(b.received).toEqual(['1', '1']);
  });

  it('defect 4: a few thousand distinct source ports against a small maxSessions never lock a newcomer out', async () => {
    const maxSessions = 64;
    const { server, port } = await start(testService(), { maxSessions, sessionTtlMs: 60_000 });
    const PEERS = 3000;
    const BATCH = 250;
    let answered = 0;
    for (let first = 0; first < PEERS; first += BATCH) {
      const batch = await Promise.all(Array.from({ length: BATCH }, () => rawUdp()));
      for (const client of batch) client.socket.send('hello', port, '127.0.0.1');
      await within(until(() => batch.every((client) => client.received.length === 1), 10_000, 'a batch of replies'), 11_000);
      answered += batch.length;
      await Promise.all(batch.map((client) => new Promise<void>((resolve) => client.socket.close(resolve))));
    }
    expect(answered).toBe(PEERS);
    const newcomer = await raw();
    newcomer.socket.send('count', port, '127.0.0.1');
    await within(until(() => newcomer.received.length === 1, 2000), 3000, 'the newcomer is served');
    expect(newcomer.received).toEqual(['1']);
    const stats = server.stats();
    expect(stats.sessionsActive).toBe(maxSessions);
    // The kernel may hand a port out again to a later batch (the same address:port is the same peer).
    expect(stats.sessionsOpened).toBeGreaterThan(PEERS / 2);
    expect(stats.evicted).toBe(stats.sessionsOpened - maxSessions);
    expect(stats.rejected).toBe(0);
  });

  it('refuses a new peer with the busy reply only when every session it could evict is busy', async () => {
    const { server, port, events } = await start(testService(), { maxSessions: 1, busyReply: 'BUSY' });
    const a = await raw();
    const b = await raw();
    a.socket.send('hang', port, '127.0.0.1');
    await within(until(() => server.stats().datagramsIn === 1, 2000), 3000);
    b.socket.send('me too', port, '127.0.0.1');
    await within(until(() => b.received.length === 1, 2000), 3000);
    expect(b.received).toEqual(['BUSY']);
    expect(server.stats()).toMatchObject({ rejected: 1, busyReplies: 1, evicted: 0 });
    expect(events.some((e) => e.type === 'rejected' && e.error.code === 'ERR_TOO_MANY_SESSIONS')).toBe(true);
  });

  it('opens and ends a session per datagram in per-datagram mode', async () => {
    const service = testService();
    const { server, port } = await start(service, { sessions: 'per-datagram' });
    const client = await raw();
    client.socket.send('count', port, '127.0.0.1');
    client.socket.send('count', port, '127.0.0.1');
    await within(until(() => client.received.length === 2, 2000), 3000);
    expect(client.received).toEqual(['1', '1']);
    expect(service.closes.map((r) => r.kind)).toEqual(['complete', 'complete']);
    expect(server.sessions).toBe(0);
  });

  it('queues datagrams while a receive is pending, dropping past maxQueuedDatagrams', async () => {
    const { server, port } = await start(testService(), { maxQueuedDatagrams: 2 });
    const client = await raw();
    client.socket.send('slow:100', port, '127.0.0.1');
    await sleep(20);
    for (const m of ['q1', 'q2', 'q3']) client.socket.send(m, port, '127.0.0.1');
    await within(until(() => client.received.length === 3, 2000), 3000);
    expect(client.received).toEqual(['slow:100', 'q1', 'q2']);
    expect(server.stats().dropped).toBe(1);
  });

  it('lets pending receives reply during the grace period, then closes sessions as shutdown', async () => {
    const service = testService();
    const { server, port } = await start(service);
    const client = await raw();
    client.socket.send('slow:150', port, '127.0.0.1');
    await sleep(30);
    await within(server.close({ graceMs: 2000 }), 3000);
    await within(until(() => client.received.length === 1, 1000), 2000);
    expect(client.received).toEqual(['slow:150']);
    expect(service.closes).toEqual([{ kind: 'shutdown' }]);
  });

  it('closes by the grace deadline even when a receive never finishes', async () => {
    const service = testService();
    const { server, port } = await start(service);
    const client = await raw();
    client.socket.send('hang', port, '127.0.0.1');
    await within(until(() => server.stats().datagramsIn === 1, 1000), 2000);
    const started = Date.now();
    await within(server.close({ graceMs: 150 }), 3000);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(service.closes).toEqual([{ kind: 'shutdown', message: 'shutdown grace period elapsed' }]);
  });

  it('ends a session the service closes, after sending its reply', async () => {
    const service = testService();
    const { server, port } = await start(service);
    const client = await raw();
    client.socket.send('close', port, '127.0.0.1');
    await within(until(() => client.received.length === 1, 2000), 3000);
    expect(client.received).toEqual(['bye']);
    expect(service.closes).toEqual([{ kind: 'local', message: 'asked to' }]);
    expect(server.sessions).toBe(0);
  });

  describe.skipIf(!hasIpv6Loopback)('IPv6 (skipped when this machine has no ::1)', () => {
    it('serves on ::1', async () => {
      const { server, port } = await start(testService(), { host: '::1' });
      expect(server.address?.family).toBe('IPv6');
      const client = await createUdpClient({ codec, host: '::1', port });
      try {
        expect(await within(client.request('over v6'), 3000)).toBe('over v6');
      } finally {
        await client.close();
      }
    });
  });
});
