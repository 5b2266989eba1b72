import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createProxyRegistry, type RegistryEvent } from '../src/proxy-registry.js';
import { loadScenario, parseScenario, runTimeline } from '../src/scenario.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function socket(onMessage: (socket: dgram.Socket, message: Buffer, rinfo: dgram.RemoteInfo) => void): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.on('message', (message, rinfo) => {
    onMessage(s, message, rinfo);
  });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => s.close(() => { resolve(); })));
  return s;
}

describe('scenario timeline over real sockets', () => {
  it('adds loss for a while, then a partition, then heals, and reports each step as an event', async () => {
    const server = await socket((s, message, rinfo) => { s.send(message, rinfo.port, rinfo.address); });
    const replies: string[] = [];
    const client = await socket((_s, message) => replies.push(message.toString()));
    const scenario = parseScenario(`
proxies:
  - name: lossy
    protocol: udp
    listen: 127.0.0.1:0
    upstream: 127.0.0.1:${server.address().port}
    seed: 11
timeline:
  - { at: 100ms, proxy: lossy, add: { name: burst, type: loss, stream: upstream, attributes: { probability: 1 } }, for: 1s }
  - { at: 1.3s, proxy: lossy, add: { type: partition }, for: 1s }
`);
    const registry = createProxyRegistry();
    cleanups.push(() => registry.close());
    await loadScenario(scenario, registry);
    const port = Number(registry.get('lossy').listen.split(':').at(-1));
    const events: RegistryEvent[] = [];
    let probe = 0;
    registry.subscribe((event) => {
      events.push(event);
      // One probe right after every step: it meets exactly the faults that step left in place.
      if (event.type === 'timeline') client.send(`probe ${probe++}`, port, '127.0.0.1');
    });
    const run = runTimeline(scenario.timeline, registry);
    await run.done;
    client.send('final', port, '127.0.0.1');
    const deadline = performance.now() + 5000;
    while (!replies.includes('final')) {
      if (performance.now() > deadline) throw new Error('no reply after healing');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const steps = events.filter((e) => e.type === 'timeline');
    expect(steps.map((e) => [e.action, e.toxic, e.atMs])).toEqual([
      ['add', 'burst', 100],
      ['remove', 'burst', 1100],
      ['add', 'partition_both', 1300],
      ['remove', 'partition_both', 2300],
    ]);
    expect(replies.sort()).toEqual(['final', 'probe 1', 'probe 3']);
    const faults = events.filter((e) => e.type === 'fault');
    expect(faults.map((e) => [e.decision.cause, e.decision.decision, e.toxics])).toEqual([
      ['loss', 'dropped', ['burst']],
      ['partition', 'dropped', ['partition_both']],
    ]);
  });
});
