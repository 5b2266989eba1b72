import { createDatagramCodec, createJsonCodec, createTextCodec } from '@netlab/codec';
import type { Service } from '@netlab/service';
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { type UdpClient, type UdpServer, createUdpClient, createUdpServer, isUdpError } from '../src/index.js';
import { rawUdp, sleep, testService, within } from './helpers.js';

const codec = createDatagramCodec(createTextCodec());
const servers: UdpServer[] = [];
const clients: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
});

async function serve(service: Service<string, string> = testService()): Promise<number> {
  const server = createUdpServer({ codec, service });
  servers.push(server);
  return (await server.listen()).port;
}

async function open(port: number, options: { timeoutMs?: number; retries?: number; maxPendingRequests?: number } = {}): Promise<UdpClient<string, string>> {
  const client = await createUdpClient({ codec, port, ...options });
  clients.push(client);
  return client;
}

describe('createUdpClient', () => {
  it('serializes plain-text requests: one outstanding at a time, answered in order', async () => {
    const client = await open(await serve());
    const replies = await within(Promise.all([client.request('slow:40'), client.request('b'), client.request('c')]), 3000);
    expect(replies).toEqual(['slow:40', 'b', 'c']);
  });

  it('retries a lost request and drops the late duplicate reply', async () => {
    const client = await open(await serve(), { timeoutMs: 100, retries: 2 });
    // The server ignores the first copy (a lost datagram), answers the retransmission.
    expect(await within(client.request('drop-first'), 3000)).toBe('drop-first');
    expect(client.stats().retransmissions).toBe(1);
    // A slow reply: the retransmissions' replies arrive right after the first one (the copies queued
    // behind it are answered at once) and must not answer 'next'; the quarantine waits for them.
    expect(await within(client.request('slow-once:250', { timeoutMs: 100, retries: 4 }), 3000)).toBe('slow-once:250');
    expect(await within(client.request('next'), 3000)).toBe('next');
    const { retransmissions, lateReplies } = client.stats();
    expect(retransmissions).toBeGreaterThanOrEqual(2);
    expect(lateReplies).toBe(retransmissions - 1);
  });

  it('fails with ERR_REQUEST_TIMEOUT after every attempt', async () => {
    const client = await open(await serve(), { timeoutMs: 50, retries: 2 });
    const error: unknown = await client.request('hang').catch((e: unknown) => e);
    expect(isUdpError(error, 'ERR_REQUEST_TIMEOUT')).toBe(true);
    expect((error as Error).message).toMatch(/after 3 attempts \(50 ms each\)/);
    expect(client.stats().retransmissions).toBe(2);
  });

  it('says plainly that no server is listening when the port is unreachable', async () => {
    const probe = await rawUdp();
    const port = probe.socket.address().port;
    probe.socket.close();
    const client = await open(port, { timeoutMs: 500, retries: 0 });
    const error: unknown = await client.request('anyone?').catch((e: unknown) => e);
    expect(isUdpError(error, 'ERR_CONNECTION_REFUSED')).toBe(true);
    expect((error as Error).message).toBe(`no server at udp 127.0.0.1:${port} (port unreachable)`);
  });

  it('refuses requests past maxPendingRequests and accepts exactly that many', async () => {
    const client = await open(await serve(), { maxPendingRequests: 2 });
    const first = client.request('slow:30');
    const second = client.request('b');
    await expect(client.request('c')).rejects.toMatchObject({ code: 'ERR_TOO_MANY_PENDING' });
    expect(await within(Promise.all([first, second]), 3000)).toEqual(['slow:30', 'b']);
  });

  it('correlates structured replies by id, with many requests outstanding and replies out of order', async () => {
    const schema = v.object({ id: v.number(), delay: v.number() });
    const json = createDatagramCodec(createJsonCodec(schema));
    const service: Service<{ id: number; delay: number }, { id: number; delay: number }> = {
      name: 'delayed-json',
      open: () => ({ receive: async (m) => { await sleep(m.delay); return [m]; } }),
    };
    const server = createUdpServer({ codec: json, service, sessions: 'per-datagram' });
    servers.push(server);
    const { port } = await server.listen();
    const client = await createUdpClient({ codec: json, port, correlate: { request: (m) => m.id, reply: (m) => m.id } });
    clients.push(client);
    const replies = await within(Promise.all([1, 2, 3].map((id) => client.request({ id, delay: (4 - id) * 30 }))), 3000);
    expect(replies.map((r) => r.id)).toEqual([1, 2, 3]);
    await expect(client.request({ id: 9, delay: 50 }).then(() => client.request({ id: 9, delay: 0 }))).resolves.toMatchObject({ id: 9 });
  });

  it('fails outstanding requests with ERR_CONNECTION_CLOSED on close', async () => {
    const client = await open(await serve());
    const pending = client.request('hang').catch((e: unknown) => e);
    await client.close();
    expect(await pending).toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });
});
