import dgram from 'node:dgram';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { isFaultError } from '../src/errors.js';
import { isSelfUpstream } from '../src/self-upstream.js';
import { createTcpFaultProxy } from '../src/tcp-proxy.js';
import { createUdpFaultProxy } from '../src/udp-proxy.js';

/** A port that was free a moment ago (bound to port 0, read back, closed). */
async function freePort(protocol: 'tcp' | 'udp'): Promise<number> {
  if (protocol === 'udp') {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(() => { resolve(); }));
    return port;
  }
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  return port;
}

async function refusal(start: () => Promise<{ close(): Promise<unknown> }>): Promise<unknown> {
  try {
    const proxy = await start();
    await proxy.close();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('defect 12: the proxy refuses an upstream equal to its own listen address', () => {
  for (const protocol of ['tcp', 'udp'] as const) {
    const create = protocol === 'tcp' ? createTcpFaultProxy : createUdpFaultProxy;

    it(`defect 12: ${protocol} refuses 127.0.0.1:P -> 127.0.0.1:P with ERR_UPSTREAM_IS_SELF and frees the port`, async () => {
      const port = await freePort(protocol);
      const error = await refusal(() => create({ host: '127.0.0.1', port, upstreamHost: '127.0.0.1', upstreamPort: port }));
      expect(isFaultError(error, 'ERR_UPSTREAM_IS_SELF')).toBe(true);
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
      // The refused proxy released its port: binding it again works.
      const again = await create({ host: '127.0.0.1', port, upstreamHost: '127.0.0.1', upstreamPort: 9 });
      expect(again.port).toBe(port);
      await again.close();
    });

    it(`defect 12: ${protocol} refuses the localhost spelling of its own address`, async () => {
      const port = await freePort(protocol);
      const error = await refusal(() => create({ host: '127.0.0.1', port, upstreamHost: 'localhost', upstreamPort: port }));
      expect(isFaultError(error, 'ERR_UPSTREAM_IS_SELF')).toBe(true);
    });

    it(`defect 12: ${protocol} listening on 0.0.0.0 refuses an upstream of 127.0.0.1 on the same port`, async () => {
      const port = await freePort(protocol);
      const error = await refusal(() => create({ host: '0.0.0.0', port, upstreamHost: '127.0.0.1', upstreamPort: port }));
      expect(isFaultError(error, 'ERR_UPSTREAM_IS_SELF')).toBe(true);
    });

    it(`defect 12: ${protocol} accepts the same port on another loopback address (a different socket)`, async () => {
      const port = await freePort(protocol);
      const proxy = await create({ host: '127.0.0.1', port, upstreamHost: '127.0.0.2', upstreamPort: port });
      expect(proxy.port).toBe(port);
      await proxy.close();
    });
  }

  it('defect 12: compares the bound port, so a listen port of 0 is checked as the port it became', async () => {
    expect(await isSelfUpstream('127.0.0.1', 40000, '127.0.0.1', 40000)).toBe(true);
    expect(await isSelfUpstream('127.0.0.1', 40000, '127.0.0.1', 40001)).toBe(false);
    expect(await isSelfUpstream('::', 40000, '::1', 40000)).toBe(true);
    expect(await isSelfUpstream('::ffff:127.0.0.1', 40000, '127.0.0.1', 40000)).toBe(true);
    expect(await isSelfUpstream('127.0.0.1', 40000, '0.0.0.0', 40000)).toBe(true);
  });
});
