/**
 * The proxies' wire tap (`netlab proxy --trace`): both legs recorded with one flow id, and every
 * fault decision in the trace format's words with the seed, on the leg where the traffic arrived.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { WireFault, WireFlowOptions, WireTap } from '@netlab/ground';
import { afterEach, describe, expect, it } from 'vitest';
import { createTcpFaultProxy } from '../src/tcp-proxy.js';
import { parseToxic } from '../src/toxics.js';
import { createUdpFaultProxy } from '../src/udp-proxy.js';
import { toWireFault } from '../src/wire-fault.js';

interface Event {
  readonly flow: string;
  readonly side: string | undefined;
  readonly kind: string;
  readonly dir?: string;
  readonly text?: string;
  readonly fault?: WireFault;
}

function recordingTap(): { tap: WireTap; events: Event[]; flows: WireFlowOptions[] } {
  const events: Event[] = [];
  const flows: WireFlowOptions[] = [];
  return {
    events,
    flows,
    tap: {
      flow(options) {
        flows.push(options);
        const flow = options.id ?? '?';
        const side = options.side;
        return {
          id: flow,
          open: () => events.push({ flow, side, kind: 'open' }),
          data: (dir, bytes) => events.push({ flow, side, kind: 'data', dir, text: Buffer.from(bytes).toString() }),
          end: (dir) => events.push({ flow, side, kind: 'end', dir }),
          close: () => events.push({ flow, side, kind: 'close' }),
          reset: (dir) => events.push({ flow, side, kind: 'reset', dir }),
          fault: (dir, fault) => events.push({ flow, side, kind: 'fault', dir, fault }),
          note: (text) => events.push({ flow, side, kind: 'note', text }),
        };
      },
      note: () => undefined,
    },
  };
}

const cleanups: (() => Promise<unknown> | undefined)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('toWireFault', () => {
  it('names decisions as the trace format does, with 1-based datagrams and the slice offset within its chunk', () => {
    expect(toWireFault({ decision: 'dropped', cause: 'loss', datagram: 0, length: 9 }, 7)).toEqual({ action: 'drop', toxic: 'loss', seed: 7, datagram: 1, bytesAffected: 9 });
    expect(toWireFault({ decision: 'sliced', cause: 'slicer', offset: 100, length: 12, cuts: [103, 107] }, 3)).toEqual({ action: 'slice', toxic: 'slicer', seed: 3, offset: 3, bytesAffected: 12 });
    expect(toWireFault({ decision: 'delayed', cause: 'latency', offset: 0, length: 5, delayMs: 120.12345 }, 1)).toEqual({ action: 'delay', toxic: 'latency', seed: 1, delayMs: 120.123, bytesAffected: 5 });
    expect(toWireFault({ decision: 'duplicated', cause: 'duplicate', datagram: 4, length: 2 }, 1)).toMatchObject({ action: 'duplicate', count: 1, datagram: 5 });
    expect(toWireFault({ decision: 'corrupted', cause: 'corrupt', datagram: 0, byte: 2, bit: 5, length: 9 }, 1)).toMatchObject({ action: 'corrupt', bit: 5 });
  });
});

describe('the fault proxies with a tap', () => {
  it('UDP: a dropped datagram is recorded arriving on the client side, the decision beside it, nothing on the server side', async () => {
    const upstream = dgram.createSocket('udp4');
    const received: string[] = [];
    upstream.on('message', (message, rinfo) => {
      received.push(message.toString());
      upstream.send(message, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => upstream.close(() => { resolve(); })));
    const recording = recordingTap();
    // drop_first: the first client → server datagram is dropped, the rest pass.
    const proxy = await createUdpFaultProxy({ upstreamHost: '127.0.0.1', upstreamPort: upstream.address().port, seed: 11, tap: recording.tap, toxics: [parseToxic({ type: 'drop_first', stream: 'upstream', attributes: { count: 1 } }, 'udp')] });
    cleanups.push(() => proxy.close());
    const client = dgram.createSocket('udp4');
    const replies: string[] = [];
    client.on('message', (message) => replies.push(message.toString()));
    await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => client.close(() => { resolve(); })));
    client.send('first', proxy.port, '127.0.0.1');
    await until(() => recording.events.some((event) => event.kind === 'fault'), 5000, 'the drop decision');
    client.send('second', proxy.port, '127.0.0.1');
    await until(() => replies.length === 1, 5000, 'the reply to the second datagram');
    expect(received).toEqual(['second']);
    expect(recording.flows.map((flow) => [flow.side, flow.id, flow.initiator])).toEqual([
      ['client', '0', 'remote'],
      ['server', '0', 'local'],
    ]);
    expect(recording.flows[0]?.remote.port).toBe(client.address().port);
    expect(recording.flows[1]?.remote.port).toBe(upstream.address().port);
    const trail = recording.events.map((event) => [event.side, event.kind, event.dir, event.text ?? event.fault?.action]);
    expect(trail).toEqual([
      ['client', 'data', 'in', 'first'],
      ['client', 'fault', 'in', 'drop'],
      ['client', 'data', 'in', 'second'],
      ['server', 'data', 'out', 'second'],
      ['server', 'data', 'in', 'second'],
      ['client', 'data', 'out', 'second'],
    ]);
    expect(recording.events[1]?.fault).toMatchObject({ toxic: 'drop_first', seed: 11, bytesAffected: 5 });
  });

  it('TCP: both legs open, carry the same bytes (sliced on the way), half-close and close', async () => {
    const upstream = net.createServer((socket) => {
      socket.on('data', (chunk) => socket.write(chunk));
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => upstream.close(() => { resolve(); })));
    const recording = recordingTap();
    const port = (upstream.address() as net.AddressInfo).port;
    const proxy = await createTcpFaultProxy({ upstreamHost: '127.0.0.1', upstreamPort: port, seed: 5, tap: recording.tap, up: { slicer: true, slicerAverageSize: 2, slicerSizeVariation: 0 } });
    cleanups.push(() => proxy.close());
    const client = net.connect(proxy.port, '127.0.0.1');
    let echoed = '';
    client.on('data', (chunk: Buffer) => (echoed += chunk.toString()));
    await new Promise((resolve) => client.once('connect', resolve));
    client.end('hello world\n');
    await new Promise((resolve) => client.once('close', resolve));
    expect(echoed).toBe('hello world\n');
    await until(() => recording.events.filter((event) => event.kind === 'close').length === 2, 5000, 'both legs closed');
    const leg = (side: string, kind: string, dir?: string): Event[] => recording.events.filter((event) => event.side === side && event.kind === kind && (dir === undefined || event.dir === dir));
    const bytes = (events: Event[]): string => events.map((event) => event.text ?? '').join('');
    expect(leg('client', 'open')).toHaveLength(1);
    expect(leg('server', 'open')).toHaveLength(1);
    expect(bytes(leg('client', 'data', 'in'))).toBe('hello world\n');
    expect(bytes(leg('server', 'data', 'out'))).toBe('hello world\n');
    expect(leg('server', 'data', 'out').length).toBeGreaterThan(1);
    expect(bytes(leg('server', 'data', 'in'))).toBe('hello world\n');
    expect(bytes(leg('client', 'data', 'out'))).toBe('hello world\n');
    const slices = leg('client', 'fault', 'in');
    expect(slices.length).toBeGreaterThan(0);
    expect(slices[0]?.fault).toMatchObject({ action: 'slice', toxic: 'slicer', seed: 5 });
    expect(leg('client', 'end', 'in')).toHaveLength(1);
    expect(leg('server', 'end', 'out')).toHaveLength(1);
    expect(leg('server', 'end', 'in')).toHaveLength(1);
    expect(leg('client', 'end', 'out')).toHaveLength(1);
  });
});
