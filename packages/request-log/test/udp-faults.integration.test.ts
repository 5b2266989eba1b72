/**
 * Over real UDP: a request-log server on @netlab/transport-udp behind @netlab/faults' UDP proxy
 * (30 % loss, 20 % duplication, reordering, both ways). One datagram is one envelope; the
 * client's retransmissions cover the loss; duplicated and reordered replies resolve nothing twice.
 */
import { createUdpFaultProxy, type FaultProxy } from '@netlab/faults';
import { connectUdp, createUdpServer, type UdpServer } from '@netlab/transport-udp';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type MemoryEffect,
  createClient,
  createClientDatagramCodec,
  createMemoryStore,
  createRequestLog,
  createRequestLogService,
  createServerDatagramCodec,
} from '../src/index.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

describe('exactly-once over lossy UDP', () => {
  it('applies 60 requests from 3 clients exactly once through 30 % loss and 20 % duplication', async () => {
    const store = createMemoryStore();
    const log = createRequestLog({ store });
    const effect: MemoryEffect = (tx, _payload, { clientId, seq }) => {
      const key = `applied:${clientId}:${seq}`;
      const n = tx.get(key);
      tx.set(key, (typeof n === 'number' ? n : 0) + 1);
      return { clientId, seq };
    };
    const server: UdpServer = createUdpServer({ codec: createServerDatagramCodec(), service: createRequestLogService({ log, effect: () => effect }) });
    const { port } = await server.listen();
    cleanup.push(() => server.close());
    const impairments = { loss: 0.3, duplicate: 0.2, reorder: 0.2, reorderDelayMs: 30 };
    const proxy: FaultProxy = await createUdpFaultProxy({ upstreamHost: '127.0.0.1', upstreamPort: port, seed: 5, up: impairments, down: impairments });
    cleanup.push(() => proxy.close());

    const codec = createClientDatagramCodec();
    const results = await Promise.all(
      [0, 1, 2].map(async (c) => {
        // A plain datagram peer (no retries of its own): the request-log client retransmits.
        const peer = await connectUdp({ codec, port: proxy.port });
        cleanup.push(() => peer.close());
        const client = createClient({
          clientId: `udp-${c}`,
          send: (request) => {
            peer.send(request);
          },
          initialRetransmitMs: 20,
          maxRetransmitMs: 200,
          giveUpAfterMs: 15_000,
        });
        cleanup.push(() => {
          client.close();
          return Promise.resolve();
        });
        void (async () => {
          for await (const { message } of peer) client.receive(message);
        })().catch(() => undefined); // "port unreachable" ends this reader; the call then times out and fails the test
        return Promise.all(Array.from({ length: 20 }, (_, k) => client.call({ k })));
      }),
    );
    const applied = [...store.state.data].filter(([key]) => key.startsWith('applied:'));
    expect(results.flat()).toHaveLength(60);
    expect(applied).toHaveLength(60);
    expect(applied.every(([, count]) => count === 1)).toBe(true);
    const counters = proxy.counters();
    expect(log.stats().duplicates).toBeGreaterThan(0);
    expect(JSON.stringify(counters)).toMatch(/"dropped":[1-9]/);
  });
});
