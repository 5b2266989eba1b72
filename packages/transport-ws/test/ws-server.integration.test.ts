import { createServer as createHttpServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { type WsServer, type WsServerEvent, WS_CLOSE_CODES, connectWs, createWsServer, createWsTextCodec, isWsError } from '../src/index.js';
import { rawWs, testService, within } from './helpers.js';

const T = 10_000;
const servers: WsServer[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await Promise.allSettled(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
});

async function start(options: Partial<Parameters<typeof createWsServer<string, string>>[0]> = {}, greeting?: string) {
  const service = testService(greeting);
  const events: WsServerEvent[] = [];
  const server = createWsServer<string, string>({
    codec: createWsTextCodec({ maxMessageBytes: 64 }),
    service,
    onEvent: (event) => events.push(event),
    ...options,
  });
  servers.push(server);
  const address = await server.listen();
  return { server, service, events, url: `ws://127.0.0.1:${address.port}/` };
}

describe('ws server: sessions', () => {
  it('reports a ws peer and speaks first when the service greets', async () => {
    const { service, url } = await start({}, 'hello there');
    const client = await rawWs(url);
    expect(await within(client.next(), T, 'greeting')).toBe('hello there');
    expect(service.opened[0]?.transport).toBe('ws');
    expect(service.opened[0]?.id).toMatch(/^ws:127\.0\.0\.1:\d+#\d+$/);
    client.ws.close();
  });

  it('strips one trailing newline and answers over text frames', async () => {
    const { url } = await start();
    const client = await rawWs(url);
    client.ws.send('typed line\r\n');
    expect(await within(client.next(), T, 'echo')).toBe('typed line');
    client.ws.close();
  });

  it('closes with 1000 after the service closes, once its reply is out', async () => {
    const { service, url } = await start();
    const client = await rawWs(url);
    client.ws.send('close');
    expect(await within(client.next(), T, 'reply')).toBe('bye');
    const closed = await within(client.closed, T, 'close');
    expect(closed.code).toBe(WS_CLOSE_CODES.normal);
    expect(service.closes.map((reason) => reason.kind)).toEqual(['local']);
  });

  it('answers a line one byte over the limit with the typed error, then closes with 1008', async () => {
    const { server, url } = await start();
    const client = await rawWs(url);
    client.ws.send('x'.repeat(64));
    expect(await within(client.next(), T, 'echo at the limit')).toBe('x'.repeat(64));
    client.ws.send('x'.repeat(65));
    expect(await within(client.next(), T, 'error reply')).toBe('ERR ERR_LINE_TOO_LONG');
    expect((await within(client.closed, T, 'close')).code).toBe(WS_CLOSE_CODES.policy);
    expect(server.stats().malformed).toBe(1);
  });

  it('rejects a message holding a line terminator inside as one malformed line', async () => {
    const { url } = await start();
    const client = await rawWs(url);
    client.ws.send('two\nlines');
    expect(await within(client.next(), T, 'error reply')).toBe('ERR ERR_INVALID_LINE');
    expect((await within(client.closed, T, 'close')).code).toBe(WS_CLOSE_CODES.policy);
  });

  it('refuses a frame above maxPayloadBytes before buffering it (1009, ERR_MESSAGE_TOO_LARGE)', async () => {
    const { events, url } = await start({ maxPayloadBytes: 100 });
    const client = await rawWs(url);
    client.ws.send('y'.repeat(101));
    expect((await within(client.closed, T, 'close')).code).toBe(WS_CLOSE_CODES.tooBig);
    const error = events.find((event) => event.type === 'error');
    expect(error?.type === 'error' && error.error.code).toBe('ERR_MESSAGE_TOO_LARGE');
  });
});

describe('ws server: limits', () => {
  it('sends busyReply and closes with 1013 past maxConnections', async () => {
    const { server, url } = await start({ maxConnections: 1, busyReply: 'ERROR server busy' });
    const first = await rawWs(url);
    first.ws.send('hi');
    expect(await within(first.next(), T, 'first echo')).toBe('hi');
    const second = await rawWs(url);
    expect(await within(second.next(), T, 'busy reply')).toBe('ERROR server busy');
    expect((await within(second.closed, T, 'refused close')).code).toBe(WS_CLOSE_CODES.tryAgain);
    expect(server.stats()).toMatchObject({ connectionsRejected: 1, busyReplies: 1, connectionsActive: 1 });
    first.ws.close();
  });

  it('closes a connection that sends no first message in time with ERR_FIRST_MESSAGE_TIMEOUT', async () => {
    const { service, server, url } = await start({ firstMessageTimeoutMs: 150 });
    const client = await rawWs(url);
    const reason = await within(service.nextClose(), T, 'first-message deadline');
    expect(reason.kind).toBe('idle');
    expect(isWsError(reason.error, 'ERR_FIRST_MESSAGE_TIMEOUT')).toBe(true);
    expect((await within(client.closed, T, 'close')).code).toBe(WS_CLOSE_CODES.normal);
    expect(server.stats().firstMessageTimeouts).toBe(1);
  });

  it('closes a member silent for idleTimeoutMs after its first message with ERR_IDLE_TIMEOUT', async () => {
    const { service, server, url } = await start({ idleTimeoutMs: 200, firstMessageTimeoutMs: 0 });
    const client = await rawWs(url);
    client.ws.send('here');
    expect(await within(client.next(), T, 'echo')).toBe('here');
    const reason = await within(service.nextClose(), T, 'idle timeout');
    expect(isWsError(reason.error, 'ERR_IDLE_TIMEOUT')).toBe(true);
    expect(server.stats().idleTimeouts).toBe(1);
  });

  it('ends a peer that reads nothing at maxOutputBytes: whole messages, then overflowReply, then 1008', async () => {
    const { service, server, url } = await start({ maxOutputBytes: 64 * 1024, highWaterBytes: 16 * 1024, overflowReply: 'ERROR send queue exceeded', codec: createWsTextCodec({ maxMessageBytes: 8192 }) });
    const client = await rawWs(url);
    // The client stops reading its socket: the kernel buffers fill, then our queue does.
    client.ws.pause();
    client.ws.send('flood:4096:4096');
    const reason = await within(service.nextClose(), T * 3, 'SendQ exceeded');
    expect(isWsError(reason.error, 'ERR_OUTPUT_LIMIT')).toBe(true);
    expect(server.stats().outputOverflows).toBe(1);
    client.ws.resume();
    const closed = await within(client.closed, T * 3, 'close after the backlog');
    expect(closed.code).toBe(WS_CLOSE_CODES.policy);
    expect(client.messages.at(-1)).toBe('ERROR send queue exceeded');
    const floods = client.messages.slice(0, -1);
    expect(floods.length).toBeGreaterThan(0);
    expect(floods.length).toBeLessThan(4096);
    expect(floods.every((line) => line.length === 4096)).toBe(true);
  });
});

describe('ws server: upgrades', () => {
  it('refuses an upgrade that authorize rejects with 401 (ERR_UNAUTHORIZED at the client)', async () => {
    const { server, service, url } = await start({ authorize: (request) => request.url === '/?token=right' });
    const refused = connectWs({ url: `${url}?token=wrong`, codec: createWsTextCodec() });
    await expect(refused).rejects.toMatchObject({ code: 'ERR_UNAUTHORIZED', details: { status: 401 } });
    const client = await connectWs({ url: `${url}?token=right`, codec: createWsTextCodec() });
    expect(await client.request('in', { timeoutMs: T })).toBe('in');
    await client.close();
    expect(server.stats().unauthorized).toBe(1);
    expect(service.opened).toHaveLength(1);
  });

  it('answers 404 to another path on its own server', async () => {
    const { url } = await start({ path: '/chat' });
    await expect(connectWs({ url: `${url}other`, codec: createWsTextCodec() })).rejects.toMatchObject({ code: 'ERR_UNAUTHORIZED', details: { status: 404 } });
    const client = await connectWs({ url: `${url}chat`, codec: createWsTextCodec() });
    expect(await client.request('ok', { timeoutMs: T })).toBe('ok');
    await client.close();
  });

  it('shares an HTTP server with other endpoints, each on its path', async () => {
    const http = createHttpServer((_request, response) => response.end('page'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => { http.close(() => { resolve(); }); http.closeAllConnections(); }));
    const address = http.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const a = createWsServer<string, string>({ server: http, path: '/a', codec: createWsTextCodec(), service: testService('A') });
    const b = createWsServer<string, string>({ server: http, path: '/b', codec: createWsTextCodec(), service: testService('B') });
    servers.push(a, b);
    await a.listen();
    await b.listen();
    const onA = await rawWs(`ws://127.0.0.1:${address.port}/a`);
    const onB = await rawWs(`ws://127.0.0.1:${address.port}/b`);
    expect(await within(onA.next(), T, 'A')).toBe('A');
    expect(await within(onB.next(), T, 'B')).toBe('B');
    const page = await fetch(`http://127.0.0.1:${address.port}/`);
    expect(await page.text()).toBe('page');
    onA.ws.close();
    onB.ws.close();
  });

  it('ends every session with 1001 on close, after the reply in flight', async () => {
    const { server, service, url } = await start();
    const client = await rawWs(url);
    client.ws.send('last');
    expect(await within(client.next(), T, 'echo')).toBe('last');
    await within(server.close({ graceMs: 2000 }), T, 'close');
    expect((await within(client.closed, T, 'client close')).code).toBe(WS_CLOSE_CODES.goingAway);
    expect(service.closes.map((reason) => reason.kind)).toEqual(['shutdown']);
  });
});

describe('ws client', () => {
  it('reports a closed port as ERR_CONNECTION_REFUSED', async () => {
    const { server, url } = await start();
    await server.close({ graceMs: 0 });
    await expect(connectWs({ url, codec: createWsTextCodec() })).rejects.toMatchObject({ code: 'ERR_CONNECTION_REFUSED' });
  });

  it('rejects a pending request with ERR_CONNECTION_CLOSED carrying the close code', async () => {
    const { url } = await start();
    const client = await connectWs({ url, codec: createWsTextCodec() });
    expect(await client.request('close', { timeoutMs: T })).toBe('bye');
    const info = await within(client.closed, T, 'closed');
    expect(info.code).toBe(1000);
    await expect(client.request('more')).rejects.toMatchObject({ code: 'ERR_CONNECTION_CLOSED' });
  });

  it('receives pushed messages apart from replies', async () => {
    const { url } = await start({}, 'welcome');
    const client = await connectWs({ url, codec: createWsTextCodec() });
    expect(await client.receive({ timeoutMs: T })).toBe('welcome');
    await client.close();
  });
});
