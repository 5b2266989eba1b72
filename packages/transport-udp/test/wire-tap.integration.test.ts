/**
 * The wire tap on real loopback datagrams: a traced server keeps one flow per peer address and
 * records each datagram with its decoded message; the client and the peer record theirs; the
 * process tap is the default.
 */
import { createDatagramCodec, createTextCodec } from '@netlab/codec';
import { type WireDirection, type WireFlowOptions, type WireTap, setProcessWireTap } from '@netlab/ground';
import { afterEach, describe, expect, it } from 'vitest';
import { type UdpServer, connectUdp, createUdpClient, createUdpServer } from '../src/index.js';
import { testService, until, within } from './helpers.js';

const codec = createDatagramCodec(createTextCodec(), undefined, { maxDatagramBytes: 100 });

interface Event {
  readonly flow: string;
  readonly kind: string;
  readonly dir?: WireDirection;
  readonly text?: string;
  readonly messages?: readonly unknown[];
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
        const flow = String(flows.length);
        return {
          id: flow,
          open: () => events.push({ flow, kind: 'open' }),
          data: (dir, bytes, messages) => events.push({ flow, kind: 'data', dir, text: Buffer.from(bytes).toString(), ...(messages === undefined ? {} : { messages: [...messages] }) }),
          end: (dir) => events.push({ flow, kind: 'end', dir }),
          close: () => events.push({ flow, kind: 'close' }),
          reset: (dir) => events.push({ flow, kind: 'reset', dir }),
          fault: (dir) => events.push({ flow, kind: 'fault', dir }),
          note: (text) => events.push({ flow, kind: 'note', text }),
        };
      },
      note: () => undefined,
    },
  };
}

const servers: UdpServer[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  setProcessWireTap(undefined);
  for (const close of closers.splice(0)) await close();
  await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
});

describe('the wire tap of transport-udp', () => {
  it('records a server: one flow per peer address, each datagram in and out with its message', async () => {
    const recording = recordingTap();
    const server = createUdpServer({ codec, service: testService(), port: 0, tap: recording.tap });
    servers.push(server);
    const { port } = await server.listen();
    const a = await createUdpClient({ codec, port, tap: recordingTap().tap });
    const b = await createUdpClient({ codec, port, tap: recordingTap().tap });
    closers.push(() => a.close(), () => b.close());
    expect(await within(a.request('one'), 5000)).toBe('one');
    expect(await within(b.request('two'), 5000)).toBe('two');
    expect(await within(a.request('three'), 5000)).toBe('three');
    expect(recording.flows.map((flow) => [flow.transport, flow.local.port, flow.remote.port, flow.initiator])).toEqual([
      ['udp', port, a.localAddress.port, 'remote'],
      ['udp', port, b.localAddress.port, 'remote'],
    ]);
    expect(recording.events).toEqual([
      { flow: '1', kind: 'data', dir: 'in', text: 'one', messages: ['one'] },
      { flow: '1', kind: 'data', dir: 'out', text: 'one', messages: ['one'] },
      { flow: '2', kind: 'data', dir: 'in', text: 'two', messages: ['two'] },
      { flow: '2', kind: 'data', dir: 'out', text: 'two', messages: ['two'] },
      { flow: '1', kind: 'data', dir: 'in', text: 'three', messages: ['three'] },
      { flow: '1', kind: 'data', dir: 'out', text: 'three', messages: ['three'] },
    ]);
  });

  it('records the retrying client and the plain peer through the process tap by default', async () => {
    const processTap = recordingTap();
    const server = createUdpServer({ codec, service: testService(), port: 0, tap: recordingTap().tap });
    servers.push(server);
    const { port } = await server.listen();
    setProcessWireTap(processTap.tap);
    const client = await createUdpClient({ codec, port });
    const peer = await connectUdp({ codec, port });
    closers.push(() => client.close(), () => peer.close());
    expect(await within(client.request('hi'), 5000)).toBe('hi');
    peer.send('yo');
    await until(() => processTap.events.length === 4, 5000, 'four records');
    expect(processTap.flows.map((flow) => [flow.local.port, flow.remote.port, flow.initiator])).toEqual([
      [client.localAddress.port, port, 'local'],
      [peer.localAddress.port, port, 'local'],
    ]);
    expect(processTap.events).toEqual([
      { flow: '1', kind: 'data', dir: 'out', text: 'hi', messages: ['hi'] },
      { flow: '1', kind: 'data', dir: 'in', text: 'hi', messages: ['hi'] },
      { flow: '2', kind: 'data', dir: 'out', text: 'yo', messages: ['yo'] },
      { flow: '2', kind: 'data', dir: 'in', text: 'yo', messages: ['yo'] },
    ]);
  });
});
