/** Server suite of docs/protocols/udp-hello.md: every datagram is answered `Ok`. */
import type { ServerSuite } from '../case.js';
import { serverCase } from './helpers.js';
import { DATAGRAM_LIMIT, type DatagramProtocol, datagramConcurrencyCases, datagramFaultCases } from './udp-helpers.js';

const X = 'udp-hello';
const JOKE = "I could tell you a UDP joke but I'm not sure you'll get it.";

export const udpHelloProtocol: DatagramProtocol = {
  exercise: X,
  request: (n) => ({ send: `hello ${n}`, expect: 'Ok' }),
};

export const udpHelloSuite: ServerSuite = {
  role: 'server',
  exercise: X,
  transport: 'udp',
  cases: [
    serverCase(X, 'basic', 'ok', 'answers a datagram with "Ok"', async (ctx) => {
      const probe = await ctx.udp();
      await probe.send(JOKE);
      await probe.expectDatagram('Ok');
      await probe.send(`hello ${ctx.rng.int(1000)}`);
      await probe.expectDatagram('Ok');
    }),
    serverCase(X, 'basic', 'utf8', 'answers a non-ASCII datagram with "Ok"', async (ctx) => {
      const probe = await ctx.udp();
      await probe.send('grüß dich 👋');
      await probe.expectDatagram('Ok');
    }),
    serverCase(X, 'framing', 'trailing-newline', 'answers a datagram ending in a newline (nc -u) with "Ok"', async (ctx) => {
      const probe = await ctx.udp();
      await probe.send('hi from nc\n');
      await probe.expectDatagram('Ok');
    }),
    serverCase(X, 'framing', 'empty', 'answers an empty datagram with "Ok"', async (ctx) => {
      const probe = await ctx.udp();
      await probe.send(new Uint8Array(0));
      await probe.expectDatagram('Ok');
    }),
    serverCase(X, 'framing', 'at-limit', `answers a datagram of exactly ${DATAGRAM_LIMIT} bytes with "Ok"`, async (ctx) => {
      const probe = await ctx.udp();
      await probe.send('u'.repeat(DATAGRAM_LIMIT));
      await probe.expectDatagram('Ok');
    }),
    serverCase(X, 'framing', 'over-limit', `answers even a datagram over the limit (${DATAGRAM_LIMIT + 1} bytes) with "Ok"`, async (ctx) => {
      const probe = await ctx.udp();
      await probe.send('u'.repeat(DATAGRAM_LIMIT + 1));
      await probe.expectDatagram('Ok');
    }),
    ...datagramConcurrencyCases(udpHelloProtocol),
    serverCase(X, 'robustness', 'invalid-utf8', 'answers bytes that are not UTF-8 with "Ok" and goes on', async (ctx) => {
      const probe = await ctx.udp();
      await probe.send(new Uint8Array([0xff, 0xfe, 0x80]));
      await probe.expectDatagram('Ok');
      await probe.send('still there?');
      await probe.expectDatagram('Ok');
    }),
    ...datagramFaultCases(udpHelloProtocol),
  ],
};
