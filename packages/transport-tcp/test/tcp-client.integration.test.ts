import { createLineCodec } from '@netlab/codec';
import type { Service } from '@netlab/service';
import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, type TcpClient, type TcpServer, connectTcp, createTcpServer, isTcpError } from '../src/index.js';
import { freePort, sleep, testService, within } from './helpers.js';

const servers: TcpServer[] = [];
const clients: TcpClient<string, string>[] = [];
const codec = createLineCodec();

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
});

async function serve(service: Service<string, string> = testService()): Promise<number> {
  const server = createTcpServer({ codec, service });
  servers.push(server);
  return (await server.listen()).port;
}

async function open(port: number, options: { maxPendingRequests?: number; maxQueuedMessages?: number } = {}): Promise<TcpClient<string, string>> {
  const client = await connectTcp({ codec, port, ...options });
  clients.push(client);
  return client;
}

describe('connectTcp', () => {
  it('says plainly that no server is listening on a refused port', async () => {
    const port = await freePort();
    const error: unknown = await connectTcp({ codec, port }).catch((e: unknown) => e);
    expect(isTcpError(error, 'ERR_CONNECTION_REFUSED')).toBe(true);
    expect((error as Error).message).toBe(`no server at 127.0.0.1:${port} (connection refused)`);
    expect(error).toMatchObject({ reason: 'open' });
  });

  it('gives up with ERR_CONNECT_TIMEOUT when the connect timer fires first', async () => {
    const port = await serve();
    // A clock whose timers fire on the next microtask: before any connect can complete.
    const eager: Clock = { now: Date.now, setTimeout: (callback) => { queueMicrotask(callback); return 0; }, clearTimeout: () => undefined };
    await expect(connectTcp({ codec, port, clock: eager, connectTimeoutMs: 1 })).rejects.toMatchObject({
      code: 'ERR_CONNECT_TIMEOUT',
      message: `no answer from 127.0.0.1:${port} within 1 ms`,
    });
  });

  it('answers requests in FIFO order, pipelined', async () => {
    const client = await open(await serve());
    const replies = await within(Promise.all([client.request('a'), client.request('slow:30'), client.request('c')]), 3000);
    expect(replies).toEqual(['a', 'slow:30', 'c']);
  });

  it('drops the late reply of a timed-out request so the next request gets its own reply', async () => {
    const client = await open(await serve());
    await expect(client.request('slow:300', { timeoutMs: 50 })).rejects.toMatchObject({ code: 'ERR_REQUEST_TIMEOUT' });
    expect(await within(client.request('fresh'), 3000)).toBe('fresh');
    expect(client.stats().lateReplies).toBe(1);
  });

  it('refuses a request past maxPendingRequests and accepts exactly that many', async () => {
    const client = await open(await serve(), { maxPendingRequests: 2 });
    const first = client.request('slow:50');
    const second = client.request('slow:50');
    await expect(client.request('third')).rejects.toMatchObject({ code: 'ERR_TOO_MANY_PENDING' });
    expect(await within(Promise.all([first, second]), 3000)).toEqual(['slow:50', 'slow:50']);
  });

  it('iterates over pushed messages until the server closes', async () => {
    const service: Service<string, string> = {
      name: 'pusher',
      open(_peer, ctx) {
        for (const m of ['one', 'two', 'three']) ctx.send(m);
        ctx.close();
        return { receive: () => [] };
      },
    };
    const client = await open(await serve(service));
    const seen: string[] = [];
    await within(
      (async () => {
        for await (const message of client) seen.push(message);
      })(),
      3000,
    );
    expect(seen).toEqual(['one', 'two', 'three']);
  });

  it('pauses reading when pushed messages pile up past maxQueuedMessages, losing none', async () => {
    const total = 5000;
    const service: Service<string, string> = {
      name: 'burst',
      open(_peer, ctx) {
        for (let i = 0; i < total; i++) ctx.send(String(i));
        return { receive: () => [] };
      },
    };
    const client = await open(await serve(service), { maxQueuedMessages: 100 });
    await sleep(200);
    const seen: string[] = [];
    for (let i = 0; i < total; i++) seen.push(await within(client.receive(), 3000));
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => String(i)));
  });

  it('fails pending requests with ERR_CONNECTION_CLOSED when the server goes away', async () => {
    const client = await open(await serve());
    const pending = client.request('hang', { timeoutMs: 5000 }).catch((e: unknown) => e);
    await sleep(50);
    await within(servers[0]!.close({ graceMs: 0 }), 3000);
    expect(await pending).toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
    expect(() => client.send('late')).toThrow(/closed/);
  });

  it('closes gracefully and resolves done without an error', async () => {
    const client = await open(await serve());
    expect(await client.request('x')).toBe('x');
    await within(client.close(), 3000);
    expect(await client.done).toBeUndefined();
    expect(client.closed).toBe(true);
  });
});
