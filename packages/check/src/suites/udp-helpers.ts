/**
 * Cases shared by the datagram exercises: one message per datagram, a reply to the address it
 * came from, at most 1200 bytes. Loss and duplication go through the seeded UDP fault proxy;
 * the checker retransmits like a lab client (the exercises are stateless, so a retry is safe).
 */
import type { ServerCase } from '../case.js';
import { CaseFailure } from '../errors.js';
import { serverCase } from './helpers.js';

/** The datagram limit of the UDP exercises, bytes. */
export const DATAGRAM_LIMIT = 1200;
/** Sockets the concurrency case uses at once. */
export const PARALLEL_SOCKETS = 8;
/** Requests per fault case, and attempts per request under loss. */
const FAULT_REQUESTS = 6;
const LOSS_ATTEMPTS = 10;

export interface DatagramProtocol {
  readonly exercise: string;
  /** A request and a pattern its reply matches. */
  request(n: number): { readonly send: string; readonly expect: string | RegExp };
}

export function datagramConcurrencyCases(protocol: DatagramProtocol): ServerCase[] {
  const x = protocol.exercise;
  return [
    serverCase(x, 'concurrency', 'parallel', `answers ${PARALLEL_SOCKETS} clients at once, each on its own socket`, async (ctx) => {
      const probes = await Promise.all(Array.from({ length: PARALLEL_SOCKETS }, (_, n) => ctx.udp(`client ${n + 1}`)));
      await Promise.all(
        probes.map(async (probe, n) => {
          const { send, expect } = protocol.request(n);
          await probe.send(send);
          await probe.expectDatagram(expect);
        }),
      );
    }),
    serverCase(x, 'concurrency', 'burst', 'answers 20 datagrams sent back to back from one socket, one reply each', async (ctx) => {
      const probe = await ctx.udp();
      const requests = Array.from({ length: 20 }, (_, n) => protocol.request(n));
      for (const { send } of requests) await probe.send(send);
      let replies = 0;
      while (replies < requests.length) {
        const reply = await probe.nextDatagram();
        if (reply === undefined) throw new CaseFailure(`sent 20 datagrams back to back; got ${replies} replies`);
        replies++;
      }
    }),
  ];
}

export function datagramFaultCases(protocol: DatagramProtocol): ServerCase[] {
  const x = protocol.exercise;
  return [
    serverCase(
      x,
      'faults',
      'loss',
      `answers through a proxy losing 30% of datagrams each way (${LOSS_ATTEMPTS} attempts per request)`,
      async (ctx) => {
        const via = await ctx.udpFaults({ up: { loss: 0.3 }, down: { loss: 0.3 } });
        const probe = await ctx.udp('client', via);
        for (let n = 0; n < FAULT_REQUESTS; n++) {
          const { send, expect } = protocol.request(n);
          await probe.request(send, expect, { attempts: LOSS_ATTEMPTS, timeoutMs: ctx.ms(500) });
          // A late reply to an earlier attempt may still come; let it pass before the next request.
          while ((await probe.nextDatagram(ctx.ms(100))) !== undefined);
        }
      },
      { needs: ['faults'] },
    ),
    serverCase(
      x,
      'faults',
      'duplicate',
      'answers every copy of a duplicated request (the server keeps no state)',
      async (ctx) => {
        const via = await ctx.udpFaults({ up: { duplicate: 1 } });
        const probe = await ctx.udp('client', via);
        for (let n = 0; n < 3; n++) {
          const { send, expect } = protocol.request(n);
          await probe.send(send);
          await probe.expectDatagram(expect);
          await probe.expectDatagram(expect);
        }
      },
      { needs: ['faults'] },
    ),
  ];
}
