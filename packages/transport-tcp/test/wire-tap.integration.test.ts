/**
 * The wire tap on real loopback sockets: what a traced server and client report (open, data with
 * the decoded messages, end, close; coalesced writes as one record), that the process tap is the
 * default, and that an explicit tap wins over it.
 */
import { createLineCodec } from '@netlab/codec';
import { type WireDirection, type WireFlowOptions, type WireTap, setProcessWireTap } from '@netlab/ground';
import { afterEach, describe, expect, it } from 'vitest';
import { type TcpServer, connectTcp, createTcpServer } from '../src/index.js';
import { testService, until, within } from './helpers.js';

interface Event {
  readonly flow: string;
  readonly kind: string;
  readonly dir?: WireDirection;
  readonly text?: string;
  readonly messages?: readonly unknown[];
}

/** A tap that keeps every call, for assertions. */
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

const servers: TcpServer[] = [];
afterEach(async () => {
  setProcessWireTap(undefined);
  await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
});

async function echoServer(tap?: WireTap): Promise<number> {
  const server = createTcpServer({ codec: createLineCodec(), service: testService(), port: 0, ...(tap === undefined ? {} : { tap }) });
  servers.push(server);
  return (await server.listen()).port;
}

describe('the wire tap of transport-tcp', () => {
  it('records a server connection: open, each read with its lines, each write with its replies, FINs, close', async () => {
    const server = recordingTap();
    const port = await echoServer(server.tap);
    const client = await connectTcp({ codec: createLineCodec(), port, tap: recordingTap().tap });
    expect(await within(client.request('hello'), 5000)).toBe('hello');
    expect(await within(client.request('grüß'), 5000)).toBe('grüß');
    await within(client.close(), 5000);
    await until(() => server.events.some((event) => event.kind === 'close'), 5000, 'the server-side close record');
    expect(server.flows).toEqual([{ transport: 'tcp', local: { addr: '127.0.0.1', port }, remote: { addr: '127.0.0.1', port: client.localAddress.port }, initiator: 'remote' }]);
    expect(server.events).toEqual([
      { flow: '1', kind: 'open' },
      { flow: '1', kind: 'data', dir: 'in', text: 'hello\n', messages: ['hello'] },
      { flow: '1', kind: 'data', dir: 'out', text: 'hello\n', messages: ['hello'] },
      { flow: '1', kind: 'data', dir: 'in', text: 'grüß\n', messages: ['grüß'] },
      { flow: '1', kind: 'data', dir: 'out', text: 'grüß\n', messages: ['grüß'] },
      { flow: '1', kind: 'end', dir: 'in' },
      { flow: '1', kind: 'end', dir: 'out' },
      { flow: '1', kind: 'close' },
    ]);
  });

  it('records the client side with the process tap by default, and an explicit tap wins over it', async () => {
    const processTap = recordingTap();
    setProcessWireTap(processTap.tap);
    const explicit = recordingTap();
    const port = await echoServer(explicit.tap);
    const client = await connectTcp({ codec: createLineCodec(), port });
    expect(await within(client.request('one'), 5000)).toBe('one');
    await within(client.close(), 5000);
    await until(() => processTap.events.some((event) => event.kind === 'close'), 5000, 'the client-side close record');
    expect(processTap.flows).toEqual([{ transport: 'tcp', local: { addr: '127.0.0.1', port: client.localAddress.port }, remote: { addr: '127.0.0.1', port }, initiator: 'local' }]);
    expect(processTap.events.slice(0, 4)).toEqual([
      { flow: '1', kind: 'open' },
      { flow: '1', kind: 'data', dir: 'out', text: 'one\n', messages: ['one'] },
      { flow: '1', kind: 'data', dir: 'in', text: 'one\n', messages: ['one'] },
      { flow: '1', kind: 'end', dir: 'out' },
    ]);
    // The server had its own tap: nothing of its side went to the process tap.
    expect(processTap.flows.every((flow) => flow.initiator === 'local')).toBe(true);
    await until(() => explicit.events.some((event) => event.kind === 'close'), 5000, 'the server-side close record');
    expect(explicit.events[0]).toEqual({ flow: '1', kind: 'open' });
  });

  it('records pipelined requests and replies, each chunk with the messages it carried', async () => {
    const server = recordingTap();
    const port = await echoServer(server.tap);
    const client = await connectTcp({ codec: createLineCodec(), port, tap: recordingTap().tap });
    const replies = [client.request('a'), client.request('b'), client.request('c')];
    expect(await within(Promise.all(replies), 5000)).toEqual(['a', 'b', 'c']);
    await within(client.close(), 5000);
    await until(() => server.events.some((event) => event.kind === 'close'), 5000, 'the close record');
    const outs = server.events.filter((event) => event.kind === 'data' && event.dir === 'out');
    expect(outs.map((event) => event.text).join('')).toBe('a\nb\nc\n');
    expect(outs.flatMap((event) => event.messages ?? [])).toEqual(['a', 'b', 'c']);
    const ins = server.events.filter((event) => event.kind === 'data' && event.dir === 'in');
    expect(ins.flatMap((event) => event.messages ?? [])).toEqual(['a', 'b', 'c']);
  });
});
