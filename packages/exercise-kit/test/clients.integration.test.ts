import { PassThrough } from 'node:stream';
import type { Service } from '@netlab/service';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/running-server.js';
import { serveTcp } from '../src/serve-tcp.js';
import { serveUdp } from '../src/serve-udp.js';
import { runTcpLineClient } from '../src/tcp-line-client.js';
import { createTextDatagramCodec, createTextLineCodec } from '../src/text-codecs.js';
import { runUdpLineClient } from '../src/udp-line-client.js';
import { closedTcpPort, silentUdpPort } from '../src/testing/ports.js';

const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const shout: Service<string, string> = {
  name: 'shout',
  open: (_peer, ctx) => {
    ctx.send('welcome');
    return {
      receive(line) {
        if (line === 'quit') {
          ctx.close();
          return ['bye'];
        }
        return [line.toUpperCase()];
      },
    };
  },
};

async function startTcp(logs: string[] = [], startup: string[] = []): Promise<RunningServer> {
  const server = await serveTcp({
    exercise: 'shout',
    codec: createTextLineCodec(),
    service: shout,
    handleSignals: false,
    write: (line) => startup.push(line),
    log: (line) => logs.push(line),
  });
  servers.push(server);
  return server;
}

function io(text: string): { input: PassThrough; output: PassThrough; printed: () => string } {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
  input.end(text);
  return { input, output, printed: () => printed };
}

describe('serveTcp', () => {
  it('announces the real port in one startup line and logs connections', async () => {
    const logs: string[] = [];
    const startup: string[] = [];
    const server = await startTcp(logs, startup);
    expect(startup).toEqual([`shout listening on tcp://127.0.0.1:${server.port}`]);
    const streams = io('a\n');
    await runTcpLineClient({ port: server.port, banner: 1, io: { ...streams, interactive: false } });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(logs.some((line) => /^shout: connection from 127\.0\.0\.1:\d+$/.test(line))).toBe(true);
  });

  it('rejects with ERR_LISTEN when the port is taken', async () => {
    const first = await startTcp();
    await expect(
      serveTcp({ exercise: 'shout', port: first.port, codec: createTextLineCodec(), service: shout, handleSignals: false, write: () => undefined }),
    ).rejects.toMatchObject({ code: 'ERR_LISTEN', message: expect.stringMatching(/^cannot listen on tcp:\/\/127\.0\.0\.1:(\d+): port \1 is in use \(another server\?\); --port 0 picks a free one$/) as unknown });
  });
});

describe('runTcpLineClient', () => {
  it('lockstep with a banner: prints the banner, then one reply per line, stops when the server closes', async () => {
    const server = await startTcp();
    const streams = io('hi\nthere\nquit\nnever\n');
    const result = await runTcpLineClient({ port: server.port, banner: 1, io: { ...streams, interactive: false } });
    expect(streams.printed()).toBe('welcome\nHI\nTHERE\nbye\n');
    // "never" may or may not have left before the close was seen; it is never answered.
    expect(result).toMatchObject({ received: 4, closedByServer: true });
    expect(result.sent).toBeGreaterThanOrEqual(3);
  });

  it('stream mode sends everything and prints whatever arrives until the server closes', async () => {
    const server = await startTcp();
    const streams = io('one\ntwo\n');
    const result = await runTcpLineClient({ port: server.port, mode: 'stream', io: { ...streams, interactive: false } });
    expect(streams.printed()).toBe('welcome\nONE\nTWO\n');
    expect(result.sent).toBe(2);
  });

  it('receive mode prints until the server closes, reading no input', async () => {
    const server = await startTcp();
    const streams = io('quit\n');
    const pending = runTcpLineClient({ port: server.port, mode: 'receive', lingerMs: 100, io: { ...streams, interactive: false } });
    // The server only closes on "quit", which receive mode never sends: the client waits for the close.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await server.close();
    await pending;
    expect(streams.printed()).toBe('welcome\n');
  });

  it('refuses with "no server at HOST:PORT"', async () => {
    const port = await closedTcpPort();
    await expect(runTcpLineClient({ port, io: { ...io(''), interactive: false } })).rejects.toMatchObject({
      code: 'ERR_CONNECT',
      message: `no server at 127.0.0.1:${port}`,
    });
  });
});

describe('runUdpLineClient', () => {
  const ok: Service<string, string> = { name: 'ok', open: () => ({ receive: (message) => [`ok ${message}`] }) };

  it('sends the given messages, or the default one when the input is empty, and counts', async () => {
    const logs: string[] = [];
    const server = await serveUdp({ exercise: 'ok', codec: createTextDatagramCodec(), service: ok, handleSignals: false, write: () => undefined, log: (line) => logs.push(line) });
    servers.push(server);
    const given = io('');
    const summary = await runUdpLineClient({ port: server.port, messages: ['a', 'b'], io: { ...given, interactive: false } });
    expect(summary).toMatchObject({ sent: 2, answered: 2, retried: 0, lost: 0 });
    expect(summary.rtt?.minMs).toBeGreaterThan(0);
    expect(summary.rtt?.minMs).toBeLessThanOrEqual(summary.rtt?.avgMs ?? 0);
    expect(summary.rtt?.avgMs).toBeLessThanOrEqual(summary.rtt?.maxMs ?? 0);
    expect(given.printed()).toBe('ok a\nok b\n');
    const empty = io('');
    await runUdpLineClient({ port: server.port, defaultMessage: 'hello', format: (reply, from) => `${reply} from ${from}`, io: { ...empty, interactive: false } });
    expect(empty.printed()).toBe(`ok hello from 127.0.0.1:${server.port}\n`);
    expect(logs.filter((line) => line.startsWith('ok: request from'))).toHaveLength(3);
  });

  it('counts a request nobody answers as lost after its retries', async () => {
    const silent = await silentUdpPort();
    try {
      const lost: string[] = [];
      const summary = await runUdpLineClient({ port: silent.port, messages: ['x'], timeoutMs: 20, retries: 1, log: (line) => lost.push(line), io: { ...io(''), interactive: false } });
      expect(summary).toEqual({ sent: 1, answered: 0, retried: 1, lost: 1 });
      expect(silent.received()).toBe(2);
      expect(lost).toHaveLength(1);
    } finally {
      await silent.close();
    }
  });
});
