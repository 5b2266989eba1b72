/**
 * The client link over real sockets: request-log servers on @netlab/transport-tcp and
 * @netlab/transport-udp, the link's channels calling through them, with @netlab/faults' UDP proxy
 * for lost datagrams, a closed server for failover, and a dead port for unknown outcomes.
 */
import dgram from 'node:dgram';
import { createUdpFaultProxy } from '@netlab/faults';
import { createTcpServer } from '@netlab/transport-tcp';
import { createUdpServer } from '@netlab/transport-udp';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type MemoryEffect,
  type MemoryStoreState,
  createMemoryStore,
  createMemoryStoreState,
  createRequestLog,
  createRequestLogService,
  createServerDatagramCodec,
  createServerStreamCodec,
  isRequestLogError,
} from '../../src/index.js';
import { type ClientLink, type LinkEvent, createClientLink } from '../../src/link/index.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

/** Adds `n` to a counter and counts how often each request id ran. */
const add: MemoryEffect = (tx, payload, { clientId, seq }) => {
  const key = `applied:${clientId}:${String(seq)}`;
  const runs = tx.get(key);
  tx.set(key, (typeof runs === 'number' ? runs : 0) + 1);
  const { n } = payload as { n: number };
  const total = tx.get('total');
  const next = (typeof total === 'number' ? total : 0) + n;
  tx.set('total', next);
  return { total: next };
};

/** A request-log server on `transport` over `state` (two servers on one state are two replicas). */
async function startServer(transport: 'tcp' | 'udp', state: MemoryStoreState): Promise<{ port: number; close: () => Promise<void> }> {
  const log = createRequestLog({ store: createMemoryStore({ state }) });
  const service = createRequestLogService({ log, effect: () => add });
  const server = transport === 'tcp' ? createTcpServer({ codec: createServerStreamCodec(), service }) : createUdpServer({ codec: createServerDatagramCodec(), service });
  const { port } = await server.listen();
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await server.close();
    await log.close();
  };
  cleanup.push(close);
  return { port, close };
}

function track(link: ClientLink): ClientLink {
  cleanup.push(() => link.close());
  return link;
}

const runsOf = (state: MemoryStoreState): number[] => [...state.data].filter(([key]) => key.startsWith('applied:')).map(([, runs]) => runs as number);

/** A UDP port with nothing behind it: bound, then closed (the kernel answers "port unreachable"). */
async function deadUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => { resolve(); }));
  return port;
}

describe.each(['tcp', 'udp'] as const)('the client link over %s', (transport) => {
  it('runs each call once and counts requests, attempts and replies', async () => {
    const state = createMemoryStoreState();
    const { port } = await startServer(transport, state);
    const events: LinkEvent[] = [];
    const link = track(createClientLink({ transport, endpoints: [{ host: '127.0.0.1', port }], initialRetransmitMs: 200, onEvent: (event) => events.push(event) }));
    const channel = link.connect();
    const totals = [];
    for (let n = 1; n <= 5; n++) totals.push(await channel.call({ op: 'add', n }));
    expect(totals).toEqual([{ total: 1 }, { total: 3 }, { total: 6 }, { total: 10 }, { total: 15 }]);
    expect(runsOf(state)).toEqual([1, 1, 1, 1, 1]);
    const stats = link.stats();
    expect(stats.requests).toBe(5);
    expect(stats.replies).toBe(5);
    expect(stats.attempts).toBe(stats.requests + stats.retries);
    expect(stats.timeouts).toBe(0);
    const sends = events.filter((event) => event.type === 'send');
    expect(sends.length).toBe(stats.attempts);
    expect(sends.every((event) => event.op === 'add' && event.clientId === channel.clientId)).toBe(true);
    expect(events.filter((event) => event.type === 'reply')).toHaveLength(5);
  });

  it('gives each channel its own client id on the one transport', async () => {
    const state = createMemoryStoreState();
    const { port } = await startServer(transport, state);
    const link = track(createClientLink({ transport, endpoints: [{ host: '127.0.0.1', port }], operation: () => 'custom' }));
    const [a, b] = [link.connect(), link.connect()];
    expect(a.clientId).not.toBe(b.clientId);
    await expect(Promise.all([a.call({ n: 1 }), b.call({ n: 2 })])).resolves.toHaveLength(2);
    a.close();
    await expect(b.call({ n: 3 })).resolves.toEqual({ total: 6 });
    expect([...state.data.keys()].filter((key) => key.startsWith(`applied:${a.clientId}:`))).toHaveLength(1);
  });
});

describe('the client link under faults', () => {
  it('over lossy UDP applies every request once and answers lost replies from the log', async () => {
    const state = createMemoryStoreState();
    const { port } = await startServer('udp', state);
    const proxy = await createUdpFaultProxy({ upstreamHost: '127.0.0.1', upstreamPort: port, seed: 11, up: { loss: 0.3 }, down: { loss: 0.3, duplicate: 0.2 } });
    cleanup.push(() => proxy.close());
    const link = track(createClientLink({ transport: 'udp', endpoints: [{ host: '127.0.0.1', port: proxy.port }], initialRetransmitMs: 20, maxRetransmitMs: 200, giveUpAfterMs: 20_000 }));
    const channel = link.connect();
    await Promise.all(Array.from({ length: 20 }, (_, k) => channel.call({ n: k })));
    expect(runsOf(state)).toHaveLength(20);
    expect(runsOf(state).every((runs) => runs === 1)).toBe(true);
    const stats = link.stats();
    expect(stats.replies).toBe(20);
    expect(stats.retries).toBeGreaterThan(0);
    expect(stats.fromLog).toBeGreaterThan(0);
  });

  it('over TCP fails over to the next replica when the active one goes away', async () => {
    const state = createMemoryStoreState();
    const first = await startServer('tcp', state);
    const second = await startServer('tcp', state);
    const failovers: LinkEvent[] = [];
    const link = track(
      createClientLink({
        transport: 'tcp',
        endpoints: [{ host: '127.0.0.1', port: first.port }, { host: '127.0.0.1', port: second.port }],
        initialRetransmitMs: 50,
        onEvent: (event) => {
          if (event.type === 'failover') failovers.push(event);
        },
      }),
    );
    const channel = link.connect();
    await expect(channel.call({ n: 1 })).resolves.toEqual({ total: 1 });
    await first.close();
    await expect(channel.call({ n: 2 })).resolves.toEqual({ total: 3 });
    expect(link.stats().failovers).toBeGreaterThanOrEqual(1);
    expect(failovers[0]).toMatchObject({ type: 'failover', to: { port: second.port } });
    expect(runsOf(state)).toEqual([1, 1]);
  });

  it('over UDP switches endpoint on failover() and resends under the same id', async () => {
    const state = createMemoryStoreState();
    const { port } = await startServer('udp', state);
    const blackhole = await createUdpFaultProxy({ upstreamHost: '127.0.0.1', upstreamPort: port, seed: 1, up: { loss: 1 } });
    cleanup.push(() => blackhole.close());
    const link: ClientLink = track(
      createClientLink({
        transport: 'udp',
        endpoints: [{ host: '127.0.0.1', port: blackhole.port }, { host: '127.0.0.1', port }],
        initialRetransmitMs: 5_000, // only the failover's resend gets this call through before the first retransmission
        maxRetransmitMs: 5_000,
        giveUpAfterMs: 60_000,
        onEvent: (event) => {
          if (event.type === 'send' && event.attempt === 1) link.failover();
        },
      }),
    );
    const value = await link.connect().call({ n: 7 });
    expect(value).toEqual({ total: 7 });
    expect(link.stats()).toMatchObject({ requests: 1, failovers: 1, replies: 1 });
    expect(link.stats().retries).toBeGreaterThanOrEqual(1);
    expect(runsOf(state)).toEqual([1]);
  });

  it('over UDP to a dead port retransmits through "port unreachable", then rejects with ERR_OUTCOME_UNKNOWN after every round', async () => {
    const port = await deadUdpPort();
    const unknown: LinkEvent[] = [];
    const link = track(
      createClientLink({
        transport: 'udp',
        endpoints: [{ host: '127.0.0.1', port }],
        initialRetransmitMs: 10,
        maxRetransmitMs: 40,
        giveUpAfterMs: 200,
        unknownRetries: 2,
        onEvent: (event) => {
          if (event.type === 'unknown') unknown.push(event);
        },
      }),
    );
    const error: unknown = await link.connect().call({ n: 1 }).catch((caught: unknown) => caught);
    expect(isRequestLogError(error, 'ERR_OUTCOME_UNKNOWN')).toBe(true);
    expect(unknown).toHaveLength(3);
    const stats = link.stats();
    expect(stats.timeouts).toBe(3);
    expect(stats.requests).toBe(1);
    expect(stats.attempts).toBeGreaterThan(3);
    expect(stats.replies).toBe(0);
  });
});

describe('createClientLink options', () => {
  it('refuses no endpoints and an unknown transport with ERR_INVALID_OPTION', () => {
    expect(() => createClientLink({ transport: 'udp', endpoints: [] })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => createClientLink({ transport: 'sctp' as 'udp', endpoints: [{ host: '127.0.0.1', port: 9 }] })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => createClientLink({ transport: 'udp', endpoints: [{ host: '127.0.0.1', port: 9 }], unknownRetries: -1 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});
