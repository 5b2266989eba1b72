import { createLineCodec } from '@netlab/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { type ReconnectEvent, type ReconnectingTcpClient, type TcpServer, createReconnectingTcpClient, createTcpServer } from '../src/index.js';
import { freePort, testService, until, within } from './helpers.js';

const codec = createLineCodec();
const servers: TcpServer[] = [];
const clients: ReconnectingTcpClient<string, string>[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
});

async function serveOn(port: number): Promise<TcpServer> {
  const server = createTcpServer({ codec, service: testService(), port });
  servers.push(server);
  await server.listen();
  return server;
}

describe('createReconnectingTcpClient', () => {
  it('reconnects with backoff after the server restarts on the same port', async () => {
    const port = await freePort();
    const first = await serveOn(port);
    const events: ReconnectEvent[] = [];
    const client = createReconnectingTcpClient({ codec, port, backoff: { initialDelayMs: 20, maxDelayMs: 100 }, onEvent: (e) => events.push(e) });
    clients.push(client);
    expect(await within(client.request('before'), 3000)).toBe('before');
    await first.close({ graceMs: 0 });
    await within(until(() => events.some((e) => e.type === 'retry'), 2000), 3000);
    await serveOn(port);
    expect(await within(client.request('after', { timeoutMs: 3000 }), 4000)).toBe('after');
    expect(events.filter((e) => e.type === 'connected')).toHaveLength(2);
    expect(events.some((e) => e.type === 'disconnected')).toBe(true);
  });

  it('gives up after maxAttempts consecutive refusals', async () => {
    const port = await freePort();
    const events: ReconnectEvent[] = [];
    const client = createReconnectingTcpClient({ codec, port, maxAttempts: 3, backoff: { initialDelayMs: 10, maxDelayMs: 20 }, onEvent: (e) => events.push(e) });
    clients.push(client);
    await expect(within(client.connection({ timeoutMs: 3000 }), 4000)).rejects.toMatchObject({ code: 'ERR_CONNECTION_REFUSED' });
    const gaveUp = events.find((e) => e.type === 'gave-up');
    expect(gaveUp?.type === 'gave-up' && gaveUp.error.message).toMatch(/gave up on 127\.0\.0\.1:\d+ after 3 attempts/);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
  });
});
