import dgram from 'node:dgram';
import net from 'node:net';
import { Toxiproxy, type ICreateToxicBody } from 'toxiproxy-node-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type ControlApi, createControlApi } from '../src/control-api.js';

const cleanups: (() => Promise<unknown> | undefined)[] = [];
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

/** A TCP echo server that also records what it received. */
async function echoServer(): Promise<{ port: number; received: () => string }> {
  const sockets = new Set<net.Socket>();
  let received = '';
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      received += chunk.toString();
      socket.write(chunk);
    });
    socket.on('end', () => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => { resolve(); });
      }),
  );
  return { port: (server.address() as net.AddressInfo).port, received: () => received };
}

async function startApi(allowedOrigins: readonly string[] = []): Promise<ControlApi> {
  const api = await createControlApi({ port: 0, allowedOrigins });
  cleanups.push(() => api.close());
  return api;
}

/** A client connection that sends a line and waits for the echo of it; tracks how it ended. */
interface Line {
  readonly socket: net.Socket;
  roundTrip(text: string, ms?: number): Promise<string>;
  readonly ended: Promise<{ error: NodeJS.ErrnoException | undefined }>;
}

async function connect(port: number): Promise<Line> {
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(() => {
    socket.destroy();
    return undefined;
  });
  let buffer = '';
  let waiter: (() => void) | undefined;
  let error: NodeJS.ErrnoException | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => {
    buffer += text;
    waiter?.();
  });
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e));
  const ended = new Promise<{ error: NodeJS.ErrnoException | undefined }>((resolve) => socket.once('close', () => { resolve({ error }); }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    socket,
    ended,
    roundTrip(text, ms = 10_000) {
      socket.write(text);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`no echo of ${JSON.stringify(text)} within ${ms} ms`));
        }, ms);
        const check = (): void => {
          if (!buffer.includes(text)) return;
          clearTimeout(timer);
          waiter = undefined;
          buffer = buffer.slice(buffer.indexOf(text) + text.length);
          resolve(text);
        };
        waiter = check;
        void ended.then(() => {
          clearTimeout(timer);
          reject(new Error(`connection closed before the echo of ${JSON.stringify(text)}`));
        });
        check();
      });
    },
  };
}

async function timed<T>(work: () => Promise<T>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

async function raw(api: ControlApi, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(`${api.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown), headers: res.headers };
}

describe('control API driven by the unmodified toxiproxy-node-client', () => {
  it('creates, lists, reads and deletes proxies with toxiproxy’s JSON and status codes', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    const toxiproxy = new Toxiproxy(api.url);
    expect(JSON.parse(await toxiproxy.getVersion())).toMatchObject({ version: expect.stringMatching(/^2\./) as unknown });
    const proxy = await toxiproxy.createProxy({ name: 'echo', listen: 'localhost:0', upstream: `127.0.0.1:${upstream.port}` });
    expect(proxy.listen).toMatch(/^(127\.0\.0\.1|\[::1\]):\d+$/);
    expect(proxy.enabled).toBe(true);
    const all = await toxiproxy.getAll();
    expect(Object.keys(all)).toEqual(['echo']);
    expect((await toxiproxy.get('echo')).upstream).toBe(`127.0.0.1:${upstream.port}`);
    expect(await raw(api, 'POST', '/proxies', JSON.stringify({ name: 'echo', upstream: `127.0.0.1:${upstream.port}` }))).toMatchObject({
      status: 409,
      json: { error: 'proxy already exists', status: 409 },
    });
    await proxy.remove();
    expect(await raw(api, 'GET', '/proxies/echo')).toMatchObject({ status: 404, json: { error: 'proxy not found', status: 404 } });
    expect((await raw(api, 'DELETE', '/proxies/echo')).status).toBe(404);
  });

  it('adds latency measured on round trips, and removing it restores the same connection', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    const proxy = await new Toxiproxy(api.url).createProxy({ name: 'lat', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` });
    const line = await connect(Number(proxy.listen.split(':').at(-1)));
    await line.roundTrip('warm-up\n');
    const body: ICreateToxicBody<{ latency: number; jitter: number }> = { name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 400, jitter: 0 } };
    const toxic = await proxy.addToxic(body);
    expect(toxic.toJson()).toEqual({ name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 400, jitter: 0 } });
    expect(await timed(() => line.roundTrip('slow\n'))).toBeGreaterThanOrEqual(395);
    const updated = await toxic.update({ ...body, attributes: { latency: 800, jitter: 0 } });
    expect(updated.attributes).toEqual({ latency: 800, jitter: 0 });
    expect(await timed(() => line.roundTrip('slower\n'))).toBeGreaterThanOrEqual(795);
    await toxic.remove();
    expect(await timed(() => line.roundTrip('fast again\n'))).toBeLessThan(795);
    expect(line.socket.destroyed).toBe(false);
  });

  it('resets the connection with reset_peer', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    const proxy = await new Toxiproxy(api.url).createProxy({ name: 'rst', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` });
    const line = await connect(Number(proxy.listen.split(':').at(-1)));
    await line.roundTrip('before\n');
    await proxy.addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } } as ICreateToxicBody<{ timeout: number }>);
    line.socket.write('doomed\n');
    const { error } = await line.ended;
    expect(error?.code).toBe('ECONNRESET');
    expect(upstream.received()).toBe('before\n');
  });

  it('stalls with timeout 0 and, when the toxic is removed, delivers what it held on the same connection', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    const proxy = await new Toxiproxy(api.url).createProxy({ name: 'stall', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` });
    const line = await connect(Number(proxy.listen.split(':').at(-1)));
    const toxic = await proxy.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } } as ICreateToxicBody<{ timeout: number }>);
    expect(toxic.name).toBe('timeout_upstream');
    const reply = line.roundTrip('held\n');
    await expect(Promise.race([reply, sleep(300).then(() => 'stalled')])).resolves.toBe('stalled');
    expect(upstream.received()).toBe('');
    await toxic.remove();
    await expect(reply).resolves.toBe('held\n');
  });

  it('closes the connection timeout ms after a timeout toxic, delivering nothing', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    const proxy = await new Toxiproxy(api.url).createProxy({ name: 'to', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` });
    const line = await connect(Number(proxy.listen.split(':').at(-1)));
    await proxy.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 150 } } as ICreateToxicBody<{ timeout: number }>);
    line.socket.write('never\n');
    const elapsed = await timed(() => line.ended);
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(upstream.received()).toBe('');
  });

  it('cuts the stream after limit_data bytes', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    const proxy = await new Toxiproxy(api.url).createProxy({ name: 'lim', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` });
    await proxy.addToxic({ type: 'limit_data', stream: 'upstream', attributes: { bytes: 10 } } as ICreateToxicBody<{ bytes: number }>);
    const line = await connect(Number(proxy.listen.split(':').at(-1)));
    line.socket.write('0123456789abcdefghij');
    await line.ended;
    expect(upstream.received()).toBe('0123456789');
  });

  it('slices with slicer and adds bandwidth and slow_close toxics the client knows', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    const proxy = await new Toxiproxy(api.url).createProxy({ name: 'misc', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` });
    await proxy.addToxic({ type: 'slicer', attributes: { average_size: 2, size_variation: 1, delay: 1000 } } as ICreateToxicBody<object>);
    await proxy.addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 100 } } as ICreateToxicBody<object>);
    await proxy.addToxic({ type: 'slow_close', attributes: { delay: 10 } } as ICreateToxicBody<object>);
    const line = await connect(Number(proxy.listen.split(':').at(-1)));
    await line.roundTrip('sliced but whole\n');
    const stats = (await raw(api, 'GET', '/proxies/misc/stats')).json as { counters: { downstream: { sliced: number; received: number } }; toxic_stats: { name: string; hits: number; first_hit_at: number | null }[] };
    expect(stats.counters.downstream.sliced).toBeGreaterThanOrEqual(1);
    const slicer = stats.toxic_stats.find((t) => t.name === 'slicer_downstream');
    expect(slicer?.hits).toBeGreaterThanOrEqual(1);
    expect(slicer?.first_hit_at).toBeGreaterThan(0);
  });

  it('disables and re-enables a proxy on the same port, and reset clears toxics', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    const toxiproxy = new Toxiproxy(api.url);
    const proxy = await toxiproxy.createProxy({ name: 'onoff', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` });
    const port = Number(proxy.listen.split(':').at(-1));
    await proxy.addToxic({ type: 'latency', attributes: { latency: 10, jitter: 0 } } as ICreateToxicBody<object>);
    const down = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(down.enabled).toBe(false);
    await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await toxiproxy.reset();
    const after = await toxiproxy.get('onoff');
    expect(after.enabled).toBe(true);
    expect(after.listen).toBe(proxy.listen);
    expect((await raw(api, 'GET', '/proxies/onoff/toxics')).json).toEqual([]);
    await (await connect(port)).roundTrip('back\n');
  });

  it('populates proxies (with toxics, a netlab addition) and leaves unchanged ones alone', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    const toxiproxy = new Toxiproxy(api.url);
    const first = await toxiproxy.populate([{ name: 'a', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` }]);
    const listen = first.a?.listen ?? '';
    const again = await raw(api, 'POST', '/populate', JSON.stringify([{ name: 'a', listen, upstream: `127.0.0.1:${upstream.port}`, toxics: [{ type: 'latency', attributes: { latency: 5 } }] }]));
    expect(again.status).toBe(201);
    expect(again.json).toMatchObject({ proxies: [{ name: 'a', listen, toxics: [{ name: 'latency_downstream', attributes: { latency: 5, jitter: 0 } }] }] });
  });
});

describe('control API: bad input gets a clear error and the server keeps serving', () => {
  it('answers malformed JSON, unknown fields, oversize bodies and bad toxics with {error, status}', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    expect(await raw(api, 'POST', '/proxies', '{"name": "x",')).toMatchObject({ status: 400, json: { status: 400, error: expect.stringMatching(/^bad request body: /) as unknown } });
    expect(await raw(api, 'POST', '/proxies', JSON.stringify({ name: 'x', upstream: '127.0.0.1:1', lsiten: 'typo' }))).toMatchObject({
      status: 400,
      json: { error: 'unknown field "lsiten" in proxy', status: 400 },
    });
    expect(await raw(api, 'POST', '/proxies', JSON.stringify({ name: 'x' }))).toMatchObject({ status: 400, json: { error: 'missing required field: upstream' } });
    const big = JSON.stringify({ name: 'x', upstream: '127.0.0.1:1', pad: 'x'.repeat(70_000) });
    expect(await raw(api, 'POST', '/proxies', big)).toMatchObject({ status: 413, json: { status: 413 } });
    await raw(api, 'POST', '/proxies', JSON.stringify({ name: 'p', upstream: `127.0.0.1:${upstream.port}` }));
    expect(await raw(api, 'POST', '/proxies/p/toxics', JSON.stringify({ type: 'lag' }))).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining('invalid toxic type "lag"') as unknown },
    });
    expect(await raw(api, 'POST', '/proxies/p/toxics', JSON.stringify({ type: 'latency', attributes: { latnecy: 5 } }))).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining('unknown attribute "latnecy" for toxic type "latency"') as unknown },
    });
    expect(await raw(api, 'POST', '/proxies/p/toxics', JSON.stringify({ type: 'latency', attributes: { latency: -1 } }))).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining('attribute "latency" of toxic type "latency" must be') as unknown },
    });
    expect(await raw(api, 'POST', '/proxies/p/toxics', JSON.stringify({ type: 'loss', attributes: { probability: 0.1 } }))).toMatchObject({
      status: 400,
      json: { error: 'toxic type "loss" is for udp proxies, not tcp' },
    });
    await raw(api, 'POST', '/proxies/p/toxics', JSON.stringify({ type: 'latency' }));
    expect(await raw(api, 'POST', '/proxies/p/toxics', JSON.stringify({ type: 'latency' }))).toMatchObject({ status: 409, json: { error: 'toxic already exists' } });
    expect(await raw(api, 'GET', '/proxies/p/toxics/nope')).toMatchObject({ status: 404, json: { error: 'toxic not found' } });
    expect((await raw(api, 'GET', '/version')).status).toBe(200);
  });

  it('answers at exactly the body limit and refuses one byte over', async () => {
    const api = await createControlApi({ port: 0, maxBodyBytes: 100 });
    cleanups.push(() => api.close());
    const at = JSON.stringify({ name: 'n', upstream: '127.0.0.1:9', listen: '127.0.0.1:0' });
    const padded = (n: number): string => `${at.slice(0, -1)}${' '.repeat(n - at.length)}}`;
    expect(padded(100).length).toBe(100);
    expect((await raw(api, 'POST', '/proxies', padded(100))).status).toBe(201);
    expect((await raw(api, 'POST', '/proxies', padded(101))).status).toBe(413);
  });

  it('refuses two proxies on one port with 409, and an upstream equal to the listen address with 400', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    const first = (await raw(api, 'POST', '/proxies', JSON.stringify({ name: 'one', upstream: `127.0.0.1:${upstream.port}` }))).json as { listen: string };
    expect(await raw(api, 'POST', '/proxies', JSON.stringify({ name: 'two', listen: first.listen, upstream: `127.0.0.1:${upstream.port}` }))).toMatchObject({
      status: 409,
      json: { error: expect.stringContaining('EADDRINUSE') as unknown },
    });
    const port = Number(first.listen.split(':').at(-1));
    await raw(api, 'DELETE', '/proxies/one');
    expect(await raw(api, 'POST', '/proxies', JSON.stringify({ name: 'self', listen: `127.0.0.1:${port}`, upstream: `localhost:${port}` }))).toMatchObject({
      status: 400,
      json: { error: expect.stringContaining("is this proxy's own tcp address") as unknown },
    });
    expect(Object.keys((await raw(api, 'GET', '/proxies')).json as object)).toEqual([]);
  });

  it('resets clients of an upstream that refuses and keeps serving', async () => {
    const gone = await echoServer();
    await cleanups.pop()?.();
    const api = await startApi();
    const created = (await raw(api, 'POST', '/proxies', JSON.stringify({ name: 'dead', upstream: `127.0.0.1:${gone.port}` }))).json as { listen: string };
    const line = await connect(Number(created.listen.split(':').at(-1)));
    await line.ended;
    const stats = (await raw(api, 'GET', '/proxies/dead/stats')).json as { upstream_errors: number };
    expect(stats.upstream_errors).toBe(1);
    expect((await raw(api, 'GET', '/version')).status).toBe(200);
  });

  it('refuses cross-origin browser requests unless the origin is listed, and foreign Host headers', async () => {
    const api = await startApi(['http://127.0.0.1:7300']);
    expect(await raw(api, 'POST', '/reset', '', { Origin: 'http://evil.example' })).toMatchObject({
      status: 403,
      json: { error: expect.stringContaining('cross-origin request from http://evil.example refused') as unknown },
    });
    const allowed = await raw(api, 'GET', '/proxies', undefined, { Origin: 'http://127.0.0.1:7300' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:7300');
    const preflight = await raw(api, 'OPTIONS', '/proxies', undefined, { Origin: 'http://127.0.0.1:7300', 'Access-Control-Request-Method': 'POST' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const rebinding = await new Promise<number>((resolve, reject) => {
      const socket = net.connect(api.port, '127.0.0.1', () => socket.write('GET /proxies HTTP/1.1\r\nHost: attacker.example:8474\r\nConnection: close\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('error', reject);
      socket.on('close', () => { resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1])); });
    });
    expect(rebinding).toBe(403);
  });

  it('disconnects an event-stream reader that falls behind by more than maxEventBacklogBytes', async () => {
    const upstream = await echoServer();
    const api = await createControlApi({ port: 0, maxEventBacklogBytes: 64 * 1024 });
    cleanups.push(() => api.close());
    const created = (await raw(api, 'POST', '/proxies', JSON.stringify({ name: 'flood', upstream: `127.0.0.1:${upstream.port}` }))).json as { listen: string };
    // A reader that asks for data events and then never reads.
    const reader = net.connect(api.port, '127.0.0.1');
    cleanups.push(() => {
      reader.destroy();
      return undefined;
    });
    let headers = '';
    await new Promise<void>((resolve) => {
      reader.on('data', (chunk: Buffer) => {
        headers += chunk.toString();
        if (headers.includes('"type":"hello"')) resolve();
      });
      reader.write('GET /events?data=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    });
    reader.pause();
    const closed = new Promise<void>((resolve) => reader.once('close', () => { resolve(); }));
    // 8 MiB through the proxy: about 20 MiB of base64 data events, far more than socket buffers hold.
    const line = await connect(Number(created.listen.split(':').at(-1)));
    const block = 'x'.repeat(64 * 1024);
    for (let i = 0; i < 127; i++) line.socket.write(block);
    await line.roundTrip('end of flood\n', 30_000);
    reader.resume(); // drain what the kernel kept; the server has hung up, so the stream ends
    await Promise.race([closed, sleep(10_000).then(() => { throw new Error('the slow reader was not disconnected'); })]);
    expect((await raw(api, 'GET', '/version')).status).toBe(200);
  }, 60_000);

  it('refuses to bind the API to a non-loopback address', async () => {
    await expect(createControlApi({ host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});

/** A UDP echo server and a client socket that records replies. */
async function udpPair(): Promise<{ serverPort: number; serverReceived: Buffer[]; client: dgram.Socket; replies: Buffer[] }> {
  const server = dgram.createSocket('udp4');
  const serverReceived: Buffer[] = [];
  server.on('message', (message, rinfo) => {
    serverReceived.push(message);
    server.send(message, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', resolve));
  const client = dgram.createSocket('udp4');
  const replies: Buffer[] = [];
  client.on('message', (message) => replies.push(message));
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => Promise.all([new Promise<void>((resolve) => server.close(() => { resolve(); })), new Promise<void>((resolve) => client.close(() => { resolve(); }))]));
  return { serverPort: server.address().port, serverReceived, client, replies };
}

async function udpProxy(api: ControlApi, body: Record<string, unknown>): Promise<number> {
  const created = await raw(api, 'POST', '/proxies', JSON.stringify({ protocol: 'udp', listen: '127.0.0.1:0', ...body }));
  expect(created.status).toBe(201);
  return Number((created.json as { listen: string }).listen.split(':').at(-1));
}

interface Stats {
  counters: Record<'upstream' | 'downstream', Record<string, number>>;
  toxic_stats: { name: string; hits: number; decisions: Record<string, number> }[];
}
const statsOf = async (api: ControlApi, name: string): Promise<Stats> => (await raw(api, 'GET', `/proxies/${name}/stats`)).json as Stats;

describe('control API: netlab additions over real sockets', () => {
  it('loses UDP datagrams at the loss rate over 10,000 datagrams with a fixed seed, the same ones every run', async () => {
    const api = await startApi();
    const { serverPort, serverReceived, client } = await udpPair();
    const run = async (name: string): Promise<Stats> => {
      const port = await udpProxy(api, { name, upstream: `127.0.0.1:${serverPort}`, seed: 20261213, toxics: [{ type: 'loss', stream: 'upstream', attributes: { probability: 0.3, correlation: 0.25 } }] });
      let decided = 0;
      for (let i = 0; i < 10_000; i++) {
        const datagram = Buffer.alloc(4);
        datagram.writeUInt32BE(i);
        client.send(datagram, port, '127.0.0.1');
        if (i % 50 === 49) {
          // Wait until the proxy has seen this batch: loopback buffers are finite.
          const target = i + 1;
          const deadline = performance.now() + 10_000;
          while (decided < target) {
            if (performance.now() > deadline) throw new Error('datagrams not decided in time');
            decided = (await statsOf(api, name)).counters.upstream.received ?? 0;
          }
        }
      }
      const stats = await statsOf(api, name);
      await raw(api, 'DELETE', `/proxies/${name}`);
      return stats;
    };
    const first = await run('loss-a');
    const up = first.counters.upstream;
    expect(up.received).toBe(10_000);
    expect(Math.abs((up.dropped ?? 0) / 10_000 - 0.3)).toBeLessThan(0.03);
    expect(first.toxic_stats[0]).toMatchObject({ name: 'loss_upstream', decisions: { dropped: up.dropped } });
    const lostFirst = new Set(Array.from({ length: 10_000 }, (_, i) => i));
    for (const datagram of serverReceived.splice(0)) lostFirst.delete(datagram.readUInt32BE(0));
    const second = await run('loss-b');
    expect(second.counters.upstream.dropped).toBe(up.dropped);
    const lostSecond = new Set(Array.from({ length: 10_000 }, (_, i) => i));
    for (const datagram of serverReceived.splice(0)) lostSecond.delete(datagram.readUInt32BE(0));
    expect([...lostSecond]).toEqual([...lostFirst]);
  }, 60_000);

  it('drops the first N datagrams with drop_first, then lets retries through', async () => {
    const api = await startApi();
    const { serverPort, replies, client } = await udpPair();
    const port = await udpProxy(api, { name: 'df', upstream: `127.0.0.1:${serverPort}`, toxics: [{ type: 'drop_first', stream: 'upstream', attributes: { count: 2 } }] });
    for (let attempt = 0; attempt < 3; attempt++) client.send(`try ${attempt}`, port, '127.0.0.1');
    await until(() => replies.length === 1, 5000, 'the third try answered');
    expect(replies.map(String)).toEqual(['try 2']);
    expect((await statsOf(api, 'df')).counters.upstream).toMatchObject({ received: 3, dropped: 2, forwarded: 1 });
  });

  it('resets the first N TCP connections with drop_first, and the next one works', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    const created = (await raw(api, 'POST', '/proxies', JSON.stringify({ name: 'tdf', upstream: `127.0.0.1:${upstream.port}`, toxics: [{ type: 'drop_first', stream: 'upstream', attributes: { count: 1 } }] }))).json as { listen: string };
    const port = Number(created.listen.split(':').at(-1));
    const first = await connect(port);
    first.socket.write('first\n');
    expect((await first.ended).error?.code).toBe('ECONNRESET');
    await (await connect(port)).roundTrip('second\n');
    expect(upstream.received()).toBe('second\n');
  });

  it('partitions both ways, then heals: UDP datagrams pass again, held TCP bytes arrive', async () => {
    const api = await startApi();
    const { serverPort, serverReceived, replies, client } = await udpPair();
    const port = await udpProxy(api, { name: 'part', upstream: `127.0.0.1:${serverPort}` });
    client.send('before', port, '127.0.0.1');
    await until(() => replies.length === 1, 5000, 'echo before the partition');
    expect((await raw(api, 'POST', '/proxies/part/toxics', JSON.stringify({ type: 'partition' }))).json).toMatchObject({ name: 'partition_both', stream: 'both' });
    client.send('during', port, '127.0.0.1');
    const waitFor = async (n: number): Promise<void> => {
      const deadline = performance.now() + 5000;
      while (((await statsOf(api, 'part')).counters.upstream.received ?? 0) < n) if (performance.now() > deadline) throw new Error('not received');
    };
    await waitFor(2);
    expect(serverReceived.map(String)).toEqual(['before']);
    await raw(api, 'DELETE', '/proxies/part/toxics/partition_both');
    client.send('after', port, '127.0.0.1');
    await until(() => replies.length === 2, 5000, 'echo after healing');
    expect(replies.map(String)).toEqual(['before', 'after']);

    const upstream = await echoServer();
    const tcp = (await raw(api, 'POST', '/proxies', JSON.stringify({ name: 'tpart', upstream: `127.0.0.1:${upstream.port}`, toxics: [{ type: 'partition' }] }))).json as { listen: string };
    const line = await connect(Number(tcp.listen.split(':').at(-1)));
    const reply = line.roundTrip('across the partition\n');
    await expect(Promise.race([reply, sleep(200).then(() => 'partitioned')])).resolves.toBe('partitioned');
    await raw(api, 'DELETE', '/proxies/tpart/toxics/partition_both');
    await expect(reply).resolves.toBe('across the partition\n');
  });

  it('holds datagrams in order, steps one at a time, resumes, and bounds what it holds', async () => {
    const api = await startApi();
    const { serverPort, serverReceived, replies, client } = await udpPair();
    const port = await udpProxy(api, { name: 'step', upstream: `127.0.0.1:${serverPort}` });
    expect((await raw(api, 'POST', '/proxies/step/hold', JSON.stringify({ max_units: 3 }))).json).toMatchObject({ holding: true, units: 0, max_units: 3 });
    for (const text of ['one', 'two', 'three', 'four']) client.send(text, port, '127.0.0.1');
    const held = async (): Promise<{ units: number; overflowed: number }> => (await raw(api, 'GET', '/proxies/step/hold')).json as { units: number; overflowed: number };
    const deadline = performance.now() + 5000;
    while ((await held()).units + (await held()).overflowed < 4) if (performance.now() > deadline) throw new Error('datagrams not held');
    expect(await held()).toMatchObject({ units: 3, overflowed: 1 });
    expect(serverReceived).toEqual([]);
    expect((await raw(api, 'POST', '/proxies/step/step')).json).toMatchObject({ released: 1, hold: { units: 2 } });
    await until(() => serverReceived.length === 1, 5000, 'the first datagram released');
    expect(serverReceived.map(String)).toEqual(['one']);
    // The echo of "one" is held too (hold covers both directions), behind "two" and "three".
    const waitUnits = async (n: number): Promise<void> => {
      const end = performance.now() + 5000;
      while ((await held()).units !== n) if (performance.now() > end) throw new Error(`not ${n} held`);
    };
    await waitUnits(3);
    expect(replies).toEqual([]);
    expect((await raw(api, 'POST', '/proxies/step/resume')).json).toMatchObject({ released: 3, hold: { holding: false, units: 0 } });
    await until(() => replies.length === 3, 5000, 'all echoes after resume');
    expect(serverReceived.map(String)).toEqual(['one', 'two', 'three']);
    expect(replies.map(String).sort()).toEqual(['one', 'three', 'two']);
    expect((await statsOf(api, 'step')).counters.upstream.overflowed).toBe(1);
  });

  it('holds a TCP chunk, steps it to the server, holds the echo, and steps it to the client', async () => {
    const upstream = await echoServer();
    const api = await startApi();
    const created = (await raw(api, 'POST', '/proxies', JSON.stringify({ name: 'th', upstream: `127.0.0.1:${upstream.port}` }))).json as { listen: string };
    const line = await connect(Number(created.listen.split(':').at(-1)));
    await line.roundTrip('before\n');
    await raw(api, 'POST', '/proxies/th/hold');
    const reply = line.roundTrip('held line\n');
    const unitsHeld = async (n: number): Promise<void> => {
      const end = performance.now() + 5000;
      while (((await raw(api, 'GET', '/proxies/th/hold')).json as { units: number }).units !== n) if (performance.now() > end) throw new Error(`not ${n} held`);
    };
    await unitsHeld(1);
    expect(upstream.received()).toBe('before\n');
    expect((await raw(api, 'POST', '/proxies/th/step', JSON.stringify({ count: 1 }))).json).toMatchObject({ released: 1 });
    await until(() => upstream.received() === 'before\nheld line\n', 5000, 'the held line at the server');
    await unitsHeld(1); // the echo, held on its way back
    await raw(api, 'POST', '/proxies/th/step');
    await expect(reply).resolves.toBe('held line\n');
    expect((await raw(api, 'POST', '/proxies/th/step', JSON.stringify({ count: 0 }))).status).toBe(400);
  });

  it('streams fault, held and data events as JSON over server-sent events', async () => {
    const api = await startApi();
    const { serverPort, replies, client } = await udpPair();
    const port = await udpProxy(api, { name: 'ev', upstream: `127.0.0.1:${serverPort}`, seed: 3, toxics: [{ type: 'duplicate', stream: 'downstream', attributes: { probability: 1 } }] });
    const controller = new AbortController();
    cleanups.push(() => {
      controller.abort();
      return undefined;
    });
    const res = await fetch(`${api.url}/events?proxy=ev&data=1`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const body = res.body as unknown as AsyncIterable<Uint8Array>;
    const events: Record<string, unknown>[] = [];
    let text = '';
    const pump = (async () => {
      for await (const chunk of body) {
        text += Buffer.from(chunk).toString();
        for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data !== undefined) events.push(JSON.parse(data.slice(6)) as Record<string, unknown>);
        }
      }
    })().catch(() => undefined);
    await until(() => events.some((e) => e.type === 'hello'), 5000, 'hello event');
    client.send('copy me', port, '127.0.0.1');
    await until(() => replies.length === 2, 5000, 'two copies');
    await until(() => events.filter((e) => e.type === 'data').length === 3, 5000, 'three data events');
    const fault = events.find((e) => e.type === 'fault');
    expect(fault).toMatchObject({ proxy: 'ev', direction: 'down', seed: 3, toxics: ['duplicate_downstream'], decision: { decision: 'duplicated', cause: 'duplicate', datagram: 0, length: 7 } });
    const data = events.filter((e) => e.type === 'data');
    expect(data[0]).toMatchObject({ proxy: 'ev', direction: 'up', datagram: 0, length: 7, bytes: Buffer.from('copy me').toString('base64') });
    expect(data[0]?.from).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(data[0]?.to).toBe(`127.0.0.1:${serverPort}`);
    controller.abort();
    await pump;
  });
});
