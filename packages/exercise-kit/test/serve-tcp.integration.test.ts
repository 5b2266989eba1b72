import type { Service } from '@netlab/service';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/running-server.js';
import { serveTcp } from '../src/serve-tcp.js';
import { createTextLineCodec } from '../src/text-codecs.js';
import { type RawTcpPeer, connectRawTcp } from '../src/testing/raw-tcp.js';

const servers: RunningServer[] = [];
const peers: RawTcpPeer[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const echo: Service<string, string> = { name: 'echo', open: () => ({ receive: (line) => [line] }) };

async function raw(port: number): Promise<RawTcpPeer> {
  const peer = await connectRawTcp(port);
  peers.push(peer);
  return peer;
}

describe('serveTcp for text line servers', () => {
  it('defect 13: a connection refused for capacity is told ERROR server busy, and the log says why', async () => {
    const logs: string[] = [];
    const server = await serveTcp({
      exercise: 'echo',
      codec: createTextLineCodec(),
      service: echo,
      handleSignals: false,
      tcp: { maxConnections: 2 },
      write: () => undefined,
      log: (line) => logs.push(line),
    });
    servers.push(server);
    const a = await raw(server.port);
    const b = await raw(server.port);
    a.write('one\n');
    b.write('two\n');
    await a.waitForLines(1, 3000);
    await b.waitForLines(1, 3000);
    const refused = await raw(server.port);
    expect(await refused.waitForLines(1, 3000)).toEqual(['ERROR server busy']);
    await refused.closed(3000);
    expect(logs.some((line) => /refused .*2 connections already open \(maxConnections\)/.test(line))).toBe(true);
  });

  it('keeps a busy reply the app passes itself', async () => {
    const server = await serveTcp({
      exercise: 'echo',
      codec: createTextLineCodec(),
      service: echo,
      handleSignals: false,
      tcp: { maxConnections: 1, busyReply: 'ERROR come back later' },
      write: () => undefined,
      log: () => undefined,
    });
    servers.push(server);
    const a = await raw(server.port);
    a.write('hi\n');
    await a.waitForLines(1, 3000);
    const refused = await raw(server.port);
    expect(await refused.waitForLines(1, 3000)).toEqual(['ERROR come back later']);
  });
});
