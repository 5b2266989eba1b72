import { networkInterfaces } from 'node:os';
import { type StreamCodec, createLineCodec } from '@netlab/codec';
import type { Service, SessionContext } from '@netlab/service';
import { afterEach, describe, expect, it } from 'vitest';
import { type TcpServer, type TcpServerEvent, type TcpServerOptions, connectTcp, createTcpServer } from '../src/index.js';
import { type RawClient, rawConnect, sleep, testService, until, within } from './helpers.js';

const servers: TcpServer[] = [];
const raws: RawClient[] = [];

afterEach(async () => {
  for (const raw of raws.splice(0)) raw.socket.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
});

async function start(
  service: Service<string, string>,
  options: Partial<TcpServerOptions<string, string>> = {},
): Promise<{ server: TcpServer; port: number; events: TcpServerEvent[] }> {
  const events: TcpServerEvent[] = [];
  const server = createTcpServer({ codec: createLineCodec({ maxLineBytes: 1024 }), service, onEvent: (e) => events.push(e), ...options });
  servers.push(server);
  const address = await server.listen();
  return { server, port: address.port, events };
}

async function raw(port: number, host?: string): Promise<RawClient> {
  const client = await rawConnect(port, host);
  raws.push(client);
  return client;
}

const hasIpv6Loopback = Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === '::1'));

describe('createTcpServer', () => {
  it('listens on port 0 and resolves with the bound address', async () => {
    const { server, port } = await start(testService());
    expect(port).toBeGreaterThan(0);
    expect(server.address).toEqual({ host: '127.0.0.1', port, family: 'IPv4' });
  });

  it('echoes lines in order and ends the session as remote when the client closes', async () => {
    const service = testService();
    const { port } = await start(service);
    const client = await raw(port);
    client.socket.write('one\ntwo\r\nthree\n');
    await within(until(() => client.text() === 'one\ntwo\nthree\n', 2000), 3000);
    client.socket.end();
    await within(client.closed, 3000);
    await within(until(() => service.closes.length === 1, 2000), 3000);
    expect(service.closes).toEqual([{ kind: 'remote' }]);
  });

  it('delivers a line sent without a newline once the peer is quiet (quiet flush)', async () => {
    const { port } = await start(testService(), { quietFlushMs: 100 });
    const client = await raw(port);
    client.socket.write('hello');
    await within(until(() => client.text() === 'hello\n', 2000), 3000, 'quiet-flushed reply');
    // The late newline of the flushed text does not become an empty message.
    client.socket.write('\nworld\n');
    await within(until(() => client.text() === 'hello\nworld\n', 2000), 3000);
  });

  it('does not flush a partial line while bytes keep arriving, nor when quiet flush is off', async () => {
    const { port } = await start(testService(), { quietFlushMs: 0 });
    const client = await raw(port);
    client.socket.write('hello');
    await sleep(400);
    expect(client.text()).toBe('');
    client.socket.write('\n');
    await within(until(() => client.text() === 'hello\n', 2000), 3000);
  });

  it('answers a final unterminated line when the client half-closes', async () => {
    const service = testService();
    const { port } = await start(service, { quietFlushMs: 0 });
    const client = await raw(port);
    client.socket.end('last words');
    await within(client.closed, 3000);
    expect(client.text()).toBe('last words\n');
  });

  it('calls receive strictly one at a time and writes replies in order', async () => {
    let active = 0;
    let maxActive = 0;
    const service: Service<string, string> = {
      name: 'slow-echo',
      open: () => ({
        async receive(message) {
          active += 1;
          maxActive = Math.max(maxActive, active);
          await sleep(Number(message) % 3);
          active -= 1;
          return [message];
        },
      }),
    };
    const { port } = await start(service);
    const client = await raw(port);
    const lines = Array.from({ length: 100 }, (_, i) => String(i));
    client.socket.write(lines.map((l) => `${l}\n`).join(''));
    await within(until(() => client.text().split('\n').length === 101, 5000), 6000);
    expect(client.text()).toBe(lines.map((l) => `${l}\n`).join(''));
    expect(maxActive).toBe(1);
  });

  it('sends the greeting of open() first, then closes after the reply when the service asks', async () => {
    const service = testService('welcome');
    const { port } = await start(service);
    const client = await raw(port);
    client.socket.write('hi\nclose\nignored\n');
    await within(client.closed, 3000);
    expect(client.text()).toBe('welcome\nhi\nbye\n');
    expect(service.closes).toEqual([{ kind: 'local', message: 'asked to' }]);
  });

  it('answers malformed input with service.malformed after the messages before it, then closes', async () => {
    const service = testService();
    const { server, port, events } = await start(service, { codec: createLineCodec({ maxLineBytes: 32 }) });
    const client = await raw(port);
    client.socket.write(`ok\n${'y'.repeat(32)}\n${'z'.repeat(33)}\n`);
    await within(client.closed, 3000);
    expect(client.text()).toBe(`ok\n${'y'.repeat(32)}\nERR ERR_LINE_TOO_LONG\n`);
    expect(service.closes[0]?.kind).toBe('error');
    const errors = events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.type === 'error' && errors[0].error.code).toBe('ERR_MALFORMED_INPUT');
    expect(server.stats().malformed).toBe(1);
  });

  it('contains a throwing session to its own connection and reports it once', async () => {
    const service = testService();
    const { port, events } = await start(service);
    const good = await raw(port);
    const bad = await raw(port);
    bad.socket.write('throw\n');
    await within(bad.closed, 3000);
    good.socket.write('still here\n');
    await within(until(() => good.text() === 'still here\n', 2000), 3000);
    const errors = events.filter((e) => e.type === 'error');
    expect(errors.map((e) => e.error.code)).toEqual(['ERR_SESSION_FAILED']);
  });

  describe('backpressure and output cap', () => {
    it('sends a reply of exactly maxOutputBytes and closes on one byte more', async () => {
      const service = testService();
      const { port, events } = await start(service, { maxOutputBytes: 1000 });
      const client = await raw(port);
      client.socket.write('repeat:999\n');
      await within(until(() => client.text().length === 1000, 2000), 3000, 'reply at the cap');
      client.socket.write('repeat:1000\n');
      await within(client.closed, 3000);
      expect(client.text().length).toBe(1000);
      const error = events.find((e) => e.type === 'error');
      expect(error?.type === 'error' && error.error.code).toBe('ERR_OUTPUT_LIMIT');
      expect(error?.type === 'error' && error.error.message).toMatch(/SendQ exceeded/);
    });

    it('closes a peer that never reads once its queued output passes the cap, holding no more than the cap', async () => {
      const chunk = 'p'.repeat(64 * 1024);
      let pushed = 0;
      const service: Service<string, string> = {
        name: 'firehose',
        open(_peer, ctx) {
          const pump = (): void => {
            if (ctx.closed) return;
            for (let i = 0; i < 16; i++) if (ctx.send(chunk)) pushed += 1;
            setImmediate(pump);
          };
          setImmediate(pump);
          return { receive: () => [] };
        },
      };
      const maxOutputBytes = 256 * 1024;
      const { events } = await start(service, { maxOutputBytes, codec: createLineCodec({ maxLineBytes: 128 * 1024 }) }).then(async (s) => {
        const client = await raw(s.port);
        client.socket.pause(); // never reads
        await within(until(() => s.events.some((e) => e.type === 'close'), 15_000), 16_000, 'output cap close');
        return s;
      });
      const error = events.find((e) => e.type === 'error');
      expect(error?.type === 'error' && error.error.code).toBe('ERR_OUTPUT_LIMIT');
      const queued = error?.type === 'error' ? Number(error.error.details.queuedBytes) : Number.NaN;
      expect(queued).toBeLessThanOrEqual(maxOutputBytes);
      expect(pushed).toBeGreaterThan(0);
      const close = events.find((e) => e.type === 'close');
      expect(close?.type === 'close' && close.reason.kind).toBe('error');
    });

    it('stops reading from a peer while its session is busy, then processes everything in order', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let received = 0;
      const service: Service<string, string> = {
        name: 'gated',
        open: () => ({
          async receive() {
            await gate;
            received += 1;
            return [];
          },
        }),
      };
      const { server, port } = await start(service, { idleTimeoutMs: 0 });
      const client = await raw(port);
      const line = `${'d'.repeat(99)}\n`;
      const total = 100_000; // 10 MB
      client.socket.write(line.repeat(total));
      // The gate holds longer than the quiet-flush delay: a paused read must not flush a partial line.
      await sleep(500);
      expect(server.stats().bytesIn).toBeLessThan(512 * 1024);
      release();
      await within(until(() => received === total, 15_000), 16_000, 'all messages processed');
      await sleep(50);
      expect(received).toBe(total);
      expect(server.stats().bytesIn).toBe(total * line.length);
    });
  });

  describe('write coalescing', () => {
    async function opened(options: Partial<TcpServerOptions<string, string>> = {}) {
      const service = testService();
      const started = await start(service, { idleTimeoutMs: 0, ...options });
      const client = await raw(started.port);
      await within(until(() => service.contexts.length === 1, 2000), 3000, 'session open');
      const ctx = service.contexts[0];
      if (ctx === undefined) throw new Error('no session');
      return { ...started, client, ctx };
    }

    const closeStats = async (client: RawClient, events: TcpServerEvent[]) => {
      client.socket.end();
      await within(until(() => events.some((e) => e.type === 'close'), 2000), 3000, 'close event');
      const close = events.find((e) => e.type === 'close');
      return close?.type === 'close' ? close.stats : undefined;
    };

    it('writes everything ctx.send sends a connection during one turn with one write, in order', async () => {
      const { client, ctx, events } = await opened();
      const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
      for (const line of lines) expect(ctx.send(line)).toBe(true);
      await within(until(() => client.text().split('\n').length === 101, 2000), 3000, 'all lines');
      expect(client.text()).toBe(lines.map((line) => `${line}\n`).join(''));
      expect(await closeStats(client, events)).toMatchObject({ messagesOut: 100, writes: 1 });
    });

    it('writes waiting output at once when it reaches exactly coalesceBytes, and not one byte before', async () => {
      const { server, client, ctx, events } = await opened({ coalesceBytes: 100 });
      ctx.send('x'.repeat(98)); // 99 bytes with its LF
      expect(server.stats().bytesOut).toBe(0);
      ctx.send(''); // 1 byte: exactly 100 waiting
      expect(server.stats().bytesOut).toBe(100);
      ctx.send('tail');
      expect(server.stats().bytesOut).toBe(100);
      await within(until(() => client.text().length === 105, 2000), 3000, 'tail at the end of the turn');
      expect(await closeStats(client, events)).toMatchObject({ messagesOut: 3, writes: 2 });
    });

    it('counts waiting output against maxOutputBytes: exactly the cap is accepted, one byte more is refused and ends the connection after what was queued', async () => {
      const { ctx, events, client } = await opened({ maxOutputBytes: 1000 });
      expect(ctx.send('a'.repeat(499))).toBe(true);
      expect(ctx.send('b'.repeat(499))).toBe(true); // 1000 bytes waiting: at the cap
      expect(ctx.send('')).toBe(false); // one more byte: not queued
      expect(ctx.closed).toBe(true);
      await within(client.closed, 3000);
      expect(client.text()).toBe(`${'a'.repeat(499)}\n${'b'.repeat(499)}\n`);
      const error = events.find((e) => e.type === 'error');
      expect(error?.type === 'error' && error.error.code).toBe('ERR_OUTPUT_LIMIT');
      expect(error?.type === 'error' && error.error.details).toMatchObject({ queuedBytes: 1000, writeBytes: 1, maxOutputBytes: 1000 });
    });

    it('writes each ctx.send at once when coalesceBytes is 0', async () => {
      const { server, client, ctx, events } = await opened({ coalesceBytes: 0 });
      for (let i = 0; i < 10; i++) ctx.send(`n${i}`);
      expect(server.stats().bytesOut).toBe(30);
      await within(until(() => client.text().length === 30, 2000), 3000);
      expect(await closeStats(client, events)).toMatchObject({ messagesOut: 10, writes: 10 });
    });

    it('writes the output waiting for the turn before a close the service asks for', async () => {
      const { client, ctx } = await opened();
      ctx.send('last words');
      ctx.close();
      await within(client.closed, 3000);
      expect(client.text()).toBe('last words\n');
    });

    it('encodes a text sent to many connections in a row once, and never reuses the bytes of an object', async () => {
      const line = createLineCodec();
      let encoded = 0;
      const counting: StreamCodec<string, string> = { ...line, encode: (text) => (encoded++, line.encode(text)) };
      const service = testService();
      const { port } = await start(service, { codec: counting });
      const clients = [await raw(port), await raw(port), await raw(port)];
      await within(until(() => service.contexts.length === 3, 2000), 3000, 'three sessions');
      for (const ctx of service.contexts) ctx.send(['room', 'line'].join(' ')); // equal texts, not one string object
      expect(encoded).toBe(1);
      for (const ctx of service.contexts) ctx.send('another');
      expect(encoded).toBe(2);
      await within(until(() => clients.every((c) => c.text() === 'room line\nanother\n'), 2000), 3000, 'every member');

      // Objects as JSON lines, sent by a session that keeps its context.
      const json: StreamCodec<string, { n: number }> = { ...line, encode: (message) => line.encode(JSON.stringify(message)) };
      const contexts: SessionContext<{ n: number }>[] = [];
      const objects: Service<string, { n: number }> = { name: 'objects', open: (_peer, ctx) => (contexts.push(ctx), { receive: () => [] }) };
      const other = createTcpServer({ codec: json, service: objects });
      servers.push(other);
      const client = await raw((await other.listen()).port);
      await within(until(() => contexts.length === 1, 2000), 3000, 'json session');
      const message = { n: 1 };
      contexts[0]?.send(message);
      message.n = 2;
      contexts[0]?.send(message);
      await within(until(() => client.text() === '{"n":1}\n{"n":2}\n', 2000), 3000, 'both objects as they were sent');
    });

    it('rejects a negative coalesceBytes', () => {
      expect(() => createTcpServer({ codec: createLineCodec(), service: testService(), coalesceBytes: -1 })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }) as Error,
      );
    });
  });

  describe('limits on connections and time', () => {
    it('refuses connections past maxConnections with the busy reply, and accepts again when one leaves', async () => {
      const { server, port, events } = await start(testService(), { maxConnections: 2, busyReply: 'BUSY try later' });
      const a = await raw(port);
      const b = await raw(port);
      await within(until(() => server.connections === 2, 2000), 3000);
      const c = await raw(port);
      await within(c.closed, 3000);
      expect(c.text()).toBe('BUSY try later\n');
      const rejected = events.find((e) => e.type === 'rejected');
      expect(rejected?.type === 'rejected' && rejected.error.code).toBe('ERR_TOO_MANY_CONNECTIONS');
      expect(server.stats().connectionsRejected).toBe(1);
      a.socket.end();
      await within(until(() => server.connections === 1, 2000), 3000);
      const d = await raw(port);
      d.socket.write('in\n');
      await within(until(() => d.text() === 'in\n', 2000), 3000);
      b.socket.write('b\n');
      await within(until(() => b.text() === 'b\n', 2000), 3000);
    });

    it('closes a silent peer after idleTimeoutMs', async () => {
      const service = testService();
      const { port } = await start(service, { idleTimeoutMs: 200 });
      const client = await raw(port);
      const started = Date.now();
      await within(client.closed, 3000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(180);
      expect(service.closes[0]?.kind).toBe('idle');
    });

    it('closes a peer that dribbles bytes without completing a message', async () => {
      const service = testService();
      const { port } = await start(service, { idleTimeoutMs: 300, quietFlushMs: 0 });
      const client = await raw(port);
      const dribble = setInterval(() => {
        if (!client.socket.destroyed) client.socket.write('x');
      }, 30);
      try {
        await within(client.closed, 3000, 'idle close of a dribbling peer');
      } finally {
        clearInterval(dribble);
      }
      expect(service.closes[0]?.kind).toBe('idle');
    });

    it('keeps a peer that sends complete messages more often than the idle timeout', async () => {
      const { server, port } = await start(testService(), { idleTimeoutMs: 200 });
      const client = await raw(port);
      for (let i = 0; i < 8; i++) {
        client.socket.write(`${i}\n`);
        await sleep(80);
      }
      expect(server.connections).toBe(1);
      expect(client.socket.destroyed).toBe(false);
    });
  });

  describe('graceful shutdown', () => {
    it('lets a request in progress finish and reply, then ends sessions as shutdown and refuses new connections', async () => {
      const service = testService();
      const { server, port } = await start(service);
      const client = await connectTcp({ codec: createLineCodec(), port });
      const idle = await raw(port);
      await within(until(() => server.connections === 2, 2000), 3000);
      const reply = client.request('slow:200');
      await sleep(50);
      const closed = server.close({ graceMs: 2000 });
      expect(await within(reply, 3000)).toBe('slow:200');
      await within(closed, 3000);
      await within(idle.closed, 3000);
      expect(service.closes.map((r) => r.kind)).toEqual(['shutdown', 'shutdown']);
      await expect(connectTcp({ codec: createLineCodec(), port })).rejects.toMatchObject({ code: 'ERR_CONNECTION_REFUSED' });
    });

    it('closes sessions that do not finish by the grace deadline', async () => {
      const service = testService();
      const { server, port } = await start(service);
      const client = await raw(port);
      client.socket.write('hang\n');
      await within(until(() => server.stats().messagesIn === 1, 2000), 3000);
      const started = Date.now();
      await within(server.close({ graceMs: 200 }), 3000);
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(150);
      expect(took).toBeLessThan(1500);
      expect(service.closes).toEqual([{ kind: 'shutdown', message: 'shutdown grace period elapsed' }]);
      await within(client.closed, 3000);
    });
  });

  describe.skipIf(!hasIpv6Loopback)('IPv6 (skipped when this machine has no ::1)', () => {
    it('serves on ::1', async () => {
      const { server, port } = await start(testService(), { host: '::1' });
      expect(server.address?.family).toBe('IPv6');
      const client = await connectTcp({ codec: createLineCodec(), host: '::1', port });
      expect(await within(client.request('over v6'), 3000)).toBe('over v6');
      expect(client.remoteAddress.host).toBe('::1');
      await client.close();
    });
  });

  it('reports a port already in use as ERR_LISTEN', async () => {
    const { port } = await start(testService());
    const second = createTcpServer({ codec: createLineCodec(), service: testService(), port });
    servers.push(second);
    await expect(second.listen()).rejects.toMatchObject({ code: 'ERR_LISTEN', reason: 'open' });
  });

  it('emits connection and close events with per-connection counters', async () => {
    const { port, events } = await start(testService());
    const client = await raw(port);
    client.socket.end('a\nbb\n');
    await within(client.closed, 3000);
    await within(until(() => events.some((e) => e.type === 'close'), 2000), 3000);
    const close = events.find((e) => e.type === 'close');
    expect(events[0]?.type).toBe('listening');
    expect(events.some((e) => e.type === 'connection')).toBe(true);
    expect(close?.type === 'close' && close.stats).toMatchObject({ bytesIn: 5, bytesOut: 5, messagesIn: 2, messagesOut: 2, writes: 1 });
  });
});
