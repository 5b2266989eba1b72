/**
 * The bank service over real loopback sockets, TCP and UDP, through seeded fault proxies: many
 * ATMs withdraw from the same accounts at once while requests and replies are lost (UDP: and
 * duplicated, reordered); afterwards every acknowledged request is in the journal exactly once,
 * nothing twice, and the books balance.
 */
import { type FaultProxy, createPrng, createTcpFaultProxy, createUdpFaultProxy } from '@netlab/faults';
import {
  type ReplyEnvelope,
  type RequestEnvelope,
  createClientDatagramCodec,
  createClientStreamCodec,
  createRequestLog,
  createServerDatagramCodec,
  createServerStreamCodec,
} from '@netlab/request-log';
import { createReconnectingTcpClient } from '@netlab/transport-tcp';
import { createTcpServer } from '@netlab/transport-tcp';
import { connectUdp, createUdpServer } from '@netlab/transport-udp';
import { afterEach, describe, expect, it } from 'vitest';
import { type AtmChannels, createAtmChannels } from '../src/atm-channels.js';
import { createAtmClient } from '../src/atm-client.js';
import { createAtmService } from '../src/atm-service.js';
import { createMemoryAtmLedger } from '../src/memory-ledger.js';
import { TEST_ACCOUNTS, TEST_PIN_COST } from './ledger-harness.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Atm {
  readonly channels: AtmChannels;
  readonly acknowledged: Set<string>;
  /** Retransmissions of every channel this ATM opened. */
  retransmissions(): number;
}

function attach(channels: AtmChannels, acknowledged: Set<string>): (reply: ReplyEnvelope) => void {
  return (reply) => {
    if (reply.status === 'done' && channels.open.some((channel) => channel.client.clientId === reply.clientId)) acknowledged.add(`${reply.clientId}:${reply.seq}`);
    channels.receive(reply);
  };
}

async function startBank(transport: 'tcp' | 'udp', seed: number): Promise<{ port: number; ledger: Awaited<ReturnType<typeof createMemoryAtmLedger>>; proxy: FaultProxy }> {
  const ledger = await createMemoryAtmLedger({ accounts: TEST_ACCOUNTS, pinHashCost: TEST_PIN_COST });
  const log = createRequestLog({ store: ledger.store });
  const service = createAtmService({ ledger, log });
  let port: number;
  if (transport === 'tcp') {
    const server = createTcpServer({ codec: createServerStreamCodec(), service, port: 0 });
    port = (await server.listen()).port;
    closers.push(() => server.close({ graceMs: 100 }));
  } else {
    const server = createUdpServer({ codec: createServerDatagramCodec(), service, port: 0 });
    port = (await server.listen()).port;
    closers.push(() => server.close({ graceMs: 100 }));
  }
  const proxy =
    transport === 'udp'
      ? await createUdpFaultProxy({ upstreamHost: '127.0.0.1', upstreamPort: port, seed, up: { loss: 0.25, duplicate: 0.1, reorder: 0.1 }, down: { loss: 0.25, duplicate: 0.1 } })
      : await createTcpFaultProxy({ upstreamHost: '127.0.0.1', upstreamPort: port, seed, up: { slicer: true, slicerAverageSize: 7 }, down: { slicer: true }, resetPeer: 0.3, resetPeerAfterMs: 40 });
  closers.push(() => proxy.close());
  return { port: proxy.port, ledger, proxy };
}

async function connect(transport: 'tcp' | 'udp', port: number, seed: number): Promise<Atm> {
  const prng = createPrng(seed);
  const acknowledged = new Set<string>();
  let send: (request: RequestEnvelope) => void = () => undefined;
  let retransmissions = 0;
  const channels = createAtmChannels({ send: (request) => { send(request); }, random: () => prng.next(), initialRetransmitMs: 30, maxRetransmitMs: 200, giveUpAfterMs: 15_000 });
  const count = (): void => {
    for (const channel of channels.open) retransmissions = Math.max(retransmissions, channel.client.stats().retransmissions);
  };
  const receive = attach(channels, acknowledged);
  if (transport === 'tcp') {
    const tcp = createReconnectingTcpClient({
      codec: createClientStreamCodec(),
      port,
      backoff: { initialDelayMs: 10, maxDelayMs: 100, random: () => prng.next() },
      onEvent: (event) => {
        if (event.type === 'connected') channels.resend();
      },
    });
    void (async () => {
      for await (const reply of tcp) receive(reply);
    })().catch(() => undefined);
    send = (request) => {
      count();
      tcp.send(request);
    };
    closers.push(async () => {
      channels.close();
      await tcp.close();
    });
  } else {
    // The plain datagram peer: damaged datagrams are dropped by it, lost ones retransmitted by the channels.
    const peer = await connectUdp({ codec: createClientDatagramCodec(), port });
    void (async () => {
      for await (const { message } of peer) receive(message);
    })().catch(() => undefined);
    send = (request) => {
      count();
      peer.send(request);
    };
    closers.push(async () => {
      channels.close();
      await peer.close();
    });
  }
  return { channels, acknowledged, retransmissions: () => { count(); return retransmissions; } };
}

describe.each(['tcp', 'udp'] as const)('the bank over %s through a lossy network', (transport) => {
  it('applies every acknowledged request exactly once while 6 ATMs withdraw from 2 accounts at once', { timeout: 60_000 }, async () => {
    const { port, ledger } = await startBank(transport, 21);
    const atms = await Promise.all(Array.from({ length: 6 }, (_, i) => connect(transport, port, 100 + i)));
    const outcomes = await Promise.all(
      atms.map(async (atm, i) => {
        const flows = createAtmClient({ connect: () => atm.channels.connect() });
        const account = TEST_ACCOUNTS[i % 2] ?? TEST_ACCOUNTS[0];
        if (account === undefined) throw new Error('no account');
        expect((await flows.login(account.card, account.pin)).code).toBe('APPROVED');
        const results: string[] = [];
        // 6 × 150.00 against 1,000.00 for the first account: some must be declined, none may overdraw.
        for (let n = 0; n < 6; n++) {
          const result = await flows.withdraw(15_000);
          results.push(result.status === 'declined' ? result.authorization.code : result.status);
        }
        await flows.logout();
        return results;
      }),
    );
    const audit = await ledger.audit();
    const acknowledged = atms.flatMap((atm) => [...atm.acknowledged]);
    expect(audit.balanced).toBe(true);
    expect(audit.negativeAccounts).toEqual([]);
    expect([...audit.applied.values()].every((count) => count === 1)).toBe(true);
    for (const id of acknowledged) expect(audit.applied.get(id), id).toBe(1);
    const poorDispensed = outcomes.filter((_, i) => i % 2 === 0).flat().filter((o) => o === 'dispensed').length;
    expect(poorDispensed).toBe(6); // 6 × 150.00 fit in 1,000.00; the 7th onwards would not
    expect(outcomes.filter((_, i) => i % 2 === 0).flat().filter((o) => o === 'INSUFFICIENT_FUNDS').length).toBe(12);
    expect((await ledger.accounts()).find((a) => a.card === '123456789')?.balance).toBe(10_000);
    expect(audit.withdrawals.held).toBe(0);
    const retransmissions = atms.reduce((sum, atm) => sum + atm.retransmissions(), 0);
    expect(retransmissions).toBeGreaterThan(0);
  });
});
