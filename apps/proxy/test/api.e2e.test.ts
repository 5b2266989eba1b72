import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliProcess, runTs, spawnTs } from '@netlab/exercise-kit/testing';
import { Toxiproxy, type ICreateToxicBody } from 'toxiproxy-node-client';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const UMBRELLA = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tcpEchoServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => { resolve(); });
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

async function udpEchoServer(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message, rinfo) => {
    socket.send(message, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => { resolve(); })));
  return socket.address().port;
}

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'netlab-proxy-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function start(args: readonly string[]): CliProcess {
  const proc = spawnTs(MAIN, args);
  cleanups.push(() => proc.stop('SIGKILL'));
  return proc;
}

/** Round trip of one line on a fresh connection; resolves with the time it took. */
function roundTrip(port: number, text: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const begin = performance.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no echo within 10 s'));
    }, 10_000);
    socket.on('data', (chunk) => {
      got += chunk.toString();
      if (got === text) {
        clearTimeout(timer);
        socket.end();
        resolve(performance.now() - begin);
      }
    });
    socket.on('error', reject);
  });
}

describe('netlab proxy under live control (real process)', () => {
  it('serves the API next to a flag proxy: a toxiproxy client adds latency, --json prints JSON lines', TIMEOUT, async () => {
    const upstream = await tcpEchoServer();
    const proc = start(['--protocol', 'tcp', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstream}`, '--seed', '5', '--api', '127.0.0.1:0', '--json']);
    const listening = JSON.parse((await proc.waitForLine(/^\{"type":"listening".*$/, 20_000))[0]) as { proxy: string; listen: string; seed: number };
    expect(listening).toMatchObject({ proxy: 'proxy', seed: 5 });
    const api = JSON.parse((await proc.waitForLine(/^\{"type":"api".*$/, 20_000))[0]) as { url: string };
    const toxiproxy = new Toxiproxy(api.url);
    const proxy = await toxiproxy.get('proxy');
    expect(proxy.listen).toBe(listening.listen);
    const port = Number(proxy.listen.split(':').at(-1));
    await proxy.addToxic({ type: 'latency', attributes: { latency: 300, jitter: 0 } } as ICreateToxicBody<object>);
    expect(await roundTrip(port, 'slow\n')).toBeGreaterThanOrEqual(295);
    expect(await proc.stop('SIGTERM')).toBe(0);
    const lines = proc.stdout().trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string });
    expect(lines.map((line) => line.type)).toEqual(['listening', 'api', 'stopped']);
    expect(lines[2]).toMatchObject({ type: 'stopped', proxy: 'proxy', protocol: 'tcp', unit: 'chunks', sessions: 1, counters: { downstream: { delayed: 1 } } });
  });

  it('serve --config runs the timeline and prints counters every --stats-every', TIMEOUT, async () => {
    const upstream = await udpEchoServer();
    const config = await tempFile(
      'faults.yaml',
      `proxies:
  - name: lab
    protocol: udp
    listen: 127.0.0.1:0
    upstream: 127.0.0.1:${upstream}
    seed: 9
timeline:
  - { at: 100ms, proxy: lab, add: { name: drop-all, type: loss, stream: upstream, attributes: { probability: 1 } } }
`,
    );
    const proc = start(['serve', '--api', '127.0.0.1:0', '--config', config, '--stats-every', '200ms']);
    const port = Number((await proc.waitForLine(/^proxy listening on udp:\/\/127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:\d+ \(lab\)$/, 20_000))[1]);
    await proc.waitForLine(/^api listening on http:\/\/127\.0\.0\.1:\d+$/, 20_000);
    const deadline = performance.now() + 20_000;
    while (!proc.stderr().includes('timeline 0.1 s (line 8): add drop-all')) {
      if (performance.now() > deadline) throw new Error(`no timeline line: ${proc.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const client = dgram.createSocket('udp4');
    cleanups.push(() => new Promise<void>((resolve) => client.close(() => { resolve(); })));
    client.send('lost', port, '127.0.0.1');
    await proc.waitForLine(/^up\s+1\s+0\s+0\s+1 \(100\.0%\)/, 20_000);
    expect(proc.stdout()).toMatch(/^proxy lab after \d+\.\d s: udp, seed 9, 1 clients \(1 open\), 0 upstream errors$/m);
    expect(await proc.stop('SIGINT')).toBe(0);
    expect(proc.stdout()).toMatch(/^proxy lab stopped after/m);
  });

  it('rejects a bad scenario file with one error line naming the line', TIMEOUT, async () => {
    const config = await tempFile('bad.yaml', 'proxies:\n  - name: x\n    upstream: 127.0.0.1:9\n    toxics:\n      - { type: latency, attributes: { latnecy: 5 } }\n');
    const result = await runTs(MAIN, ['--config', config], { timeoutMs: 20_000 });
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim()).toMatch(/^error: .*bad\.yaml:5: proxies\[0\]\.toxics\[0\]: unknown attribute "latnecy" for toxic type "latency"/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('parses `netlab proxy serve --api … --seed …` under the umbrella CLI as standalone, and refuses a non-loopback API', TIMEOUT, async () => {
    for (const main of [UMBRELLA, MAIN]) {
      const args = main === UMBRELLA ? ['proxy', 'serve'] : ['serve'];
      const proc = spawnTs(main, [...args, '--api', '127.0.0.1:0', '--seed', '42']);
      cleanups.push(() => proc.stop('SIGKILL'));
      const url = (await proc.waitForLine(/^api listening on (http:\/\/127\.0\.0\.1:(\d+))$/, 20_000))[1] ?? '';
      expect(url).not.toBe('http://127.0.0.1:8474');
      expect(JSON.parse(await (await fetch(`${url}/version`)).text())).toMatchObject({ version: '2.12.0' });
      expect(await proc.stop('SIGTERM')).toBe(0);
      expect(proc.stderr()).toContain('proxy: seed 42 (replay with --seed 42)');
      const refused = await runTs(main, [...args, '--api', '0.0.0.0:0'], { timeoutMs: 20_000 });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr.trim()).toMatch(/^error: the control API binds to loopback only \(got 0\.0\.0\.0\)/);
    }
  });

  it('refuses to start without a proxy, a config or an API, in one line', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['--seed', '1'], { timeoutMs: 20_000 });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toMatch(/^error: netlab proxy needs --protocol, --listen and --upstream/);
  });
});
