import { execFileSync, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { type CliProcess, runTs, spawnTs } from '@netlab/exercise-kit/testing';
import { afterEach, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const STARTUP = /^proxy listening on (tcp|udp):\/\/127\.0\.0\.1:(\d+) -> 127\.0\.0\.1:(\d+)$/;
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
  socket.on('message', (message, rinfo) => { socket.send(message, rinfo.port, rinfo.address); });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => { resolve(); })));
  return socket.address().port;
}

/** Starts the proxy CLI and waits for its one startup line. */
async function startProxy(args: readonly string[]): Promise<{ proc: CliProcess; port: number }> {
  const proc = spawnTs(MAIN, ['--listen', '127.0.0.1:0', ...args]);
  cleanups.push(() => proc.stop('SIGKILL'));
  const match = await proc.waitForLine(STARTUP, 20_000);
  return { proc, port: Number(match[2]) };
}

function tcpRoundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no reply within 5 s'));
    }, 5000);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (got += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.end(text);
  });
}

async function udpExchange(port: number, text: string, expectReplies: number): Promise<string[]> {
  const socket = dgram.createSocket('udp4');
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => { resolve(); })));
  const replies: string[] = [];
  socket.on('message', (message) => replies.push(message.toString()));
  socket.send(text, port, '127.0.0.1');
  const deadline = performance.now() + 5000;
  while (replies.length < expectReplies && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 50)); // room for an unexpected extra copy
  return replies;
}

describe('netlab proxy (real process)', () => {
  it('proxies TCP, prints one startup line, and on SIGTERM prints counters and exits 0', TIMEOUT, async () => {
    const upstream = await tcpEchoServer();
    const { proc, port } = await startProxy(['--protocol', 'tcp', '--upstream', `127.0.0.1:${upstream}`, '--seed', '3', '--latency', '10', '--slicer', '--slicer-size', '4']);
    expect(await tcpRoundTrip(port, 'hello through the fault proxy\n')).toBe('hello through the fault proxy\n');
    expect(await proc.stop('SIGTERM')).toBe(0);
    const lines = proc.stdout().trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('proxy listening on'))).toEqual([`proxy listening on tcp://127.0.0.1:${port} -> 127.0.0.1:${upstream}`]);
    expect(proc.stdout()).toMatch(/proxy stopped after .* tcp, seed 3, 1 connections, 0 upstream errors/);
    // TCP columns only, in chunks: received, forwarded, bytes, sliced, delayed, dropped, reset, overflowed.
    expect(proc.stdout()).toMatch(/^direction\s+received\s+forwarded\s+bytes\s+sliced\s+delayed\s+dropped\s+reset\s+overflowed$/m);
    expect(proc.stdout()).toMatch(/^up\s+\d+\s+\d+\s+30\s+\d+ \(\d+\.\d%\)\s+\d+ \(100\.0%\)\s+0 \(0\.0%\)\s+0\s+0 \(0\.0%\)$/m);
    expect(proc.stdout()).toMatch(/^down\s+\d+\s+\d+\s+30\s/m);
    expect(proc.stdout()).toMatch(/^units: chunks\./m);
  });

  it('proxies UDP with netem impairments per direction and counts them', TIMEOUT, async () => {
    const upstream = await udpEchoServer();
    const { proc, port } = await startProxy(['--protocol', 'udp', '--upstream', `127.0.0.1:${upstream}`, '--duplicate-down', '100%', '--delay', '5ms']);
    expect(await udpExchange(port, 'hi', 2)).toEqual(['hi', 'hi']);
    expect(await proc.stop('SIGINT')).toBe(0);
    expect(proc.stdout()).toMatch(/udp, seed \d+, 1 clients/);
    expect(proc.stdout()).toMatch(/^down\s+1\s+2\s+4\s+0 \(0\.0%\)\s+1 \(100\.0%\)\s/m);
    expect(proc.stdout()).not.toMatch(/sliced|reset/);
  });

  it('resets the client and logs one line when the upstream refuses, and keeps running', TIMEOUT, async () => {
    const gone = await tcpEchoServer();
    await cleanups.pop()?.();
    const { proc, port } = await startProxy(['--protocol', 'tcp', '--upstream', `127.0.0.1:${gone}`]);
    expect(await tcpRoundTrip(port, 'anyone?')).toBe('');
    await proc.waitForLine(STARTUP); // still alive
    expect(proc.stderr()).toMatch(/proxy: upstream 127\.0\.0\.1:\d+ refused the connection; client 127\.0\.0\.1:\d+ reset/);
    expect(await proc.stop('SIGTERM')).toBe(0);
    expect(proc.stdout()).toMatch(/1 upstream errors/);
  });

  it('rejects a bad flag with one error line, no stack trace and a non-zero exit', TIMEOUT, async () => {
    for (const args of [
      ['--protocol', 'udp', '--listen', '127.0.0.1:0', '--upstream', '127.0.0.1:9', '--loss', '150%'],
      ['--protocol', 'udp', '--listen', '127.0.0.1:0', '--upstream', '127.0.0.1:9', '--latency', '10'],
      ['--protocol', 'tcp', '--listen', 'nowhere', '--upstream', '127.0.0.1:9'],
      ['--protocol', 'tcp', '--listen', '127.0.0.1:0', '--upstream', '127.0.0.1:9', '--bogus'],
    ]) {
      const result = await runTs(MAIN, args, { timeoutMs: 20_000 });
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toHaveLength(1);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('fails with one line when the listen port is taken', TIMEOUT, async () => {
    const taken = await tcpEchoServer();
    const result = await runTs(MAIN, ['--protocol', 'tcp', '--listen', `127.0.0.1:${taken}`, '--upstream', '127.0.0.1:9'], { timeoutMs: 20_000 });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toMatch(/^error: cannot listen on tcp:\/\/127\.0\.0\.1:\d+: EADDRINUSE$/);
  });

  for (const protocol of ['tcp', 'udp'] as const) {
    it(`defect 12: refuses --upstream equal to --listen (${protocol}) with one error line`, TIMEOUT, async () => {
      const taken = protocol === 'tcp' ? await tcpEchoServer() : await udpEchoServer();
      await cleanups.pop()?.(); // free the port again: now it is a port nobody listens on
      for (const upstream of [`127.0.0.1:${taken}`, `localhost:${taken}`]) {
        const result = await runTs(MAIN, ['--protocol', protocol, '--listen', `127.0.0.1:${taken}`, '--upstream', upstream], { timeoutMs: 20_000 });
        expect(result.code).not.toBe(0);
        expect(result.stdout).toBe('');
        expect(result.stderr.trim()).toMatch(/^error: the upstream .* is this proxy's own (tcp|udp) address 127\.0\.0\.1:\d+: traffic would loop back into the proxy forever; point --upstream at the real server$/);
      }
    });
  }

  it('documents every impairment with its unit and default in --help', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['--help'], { timeoutMs: 20_000 });
    expect(result.code).toBe(0);
    for (const flag of ['loss', 'loss-correlation', 'duplicate', 'reorder', 'corrupt', 'delay', 'jitter', 'latency', 'bandwidth', 'slicer', 'timeout', 'reset-peer', 'limit-data', 'slow-close']) {
      expect(result.stdout).toMatch(new RegExp(`--${flag}\\b`));
    }
    expect(result.stdout.match(/default/g)?.length ?? 0).toBeGreaterThanOrEqual(20);
  });
});

const NC = ((): string | undefined => {
  try {
    return execFileSync('sh', ['-c', 'command -v nc'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();
if (NC === undefined) console.warn('skipping the netcat tests: `nc` is not installed (apt-get install netcat-openbsd to run them)');

/** Runs nc with `input` on stdin; resolves with its stdout. */
function nc(args: readonly string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(NC ?? 'nc', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(out);
    }, 5000);
    child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
    child.stdin.end(input);
  });
}

describe.skipIf(NC === undefined)('netlab proxy between nc and a plain server', () => {
  it('carries a TCP line from nc to an echo server and back', TIMEOUT, async () => {
    const upstream = await tcpEchoServer();
    const { proc, port } = await startProxy(['--protocol', 'tcp', '--upstream', `127.0.0.1:${upstream}`, '--slicer', '--slicer-size', '2']);
    expect(await nc(['-N', '127.0.0.1', String(port)], 'hello from netcat\n')).toBe('hello from netcat\n');
    expect(await proc.stop('SIGTERM')).toBe(0);
  });

  it('carries a UDP datagram from nc to an echo server and back', TIMEOUT, async () => {
    const upstream = await udpEchoServer();
    const { proc, port } = await startProxy(['--protocol', 'udp', '--upstream', `127.0.0.1:${upstream}`, '--delay', '10']);
    expect(await nc(['-u', '-w', '1', '127.0.0.1', String(port)], 'datagram from netcat\n')).toBe('datagram from netcat\n');
    expect(await proc.stop('SIGTERM')).toBe(0);
  });
});
