/**
 * Server suite of docs/protocols/udp-datetime.md. The server's time zone is its own business,
 * so dates are checked to be real calendar dates within a day of now, and times to be valid
 * 24-hour times whose minutes and seconds agree with the checker's clock (all zones in use are
 * whole quarter hours from UTC) within a few seconds.
 */
import type { ServerSuite } from '../case.js';
import { CaseFailure } from '../errors.js';
import type { UdpProbe } from '../udp-probe.js';
import { serverCase } from './helpers.js';
import { DATAGRAM_LIMIT, type DatagramProtocol, datagramConcurrencyCases, datagramFaultCases } from './udp-helpers.js';

const X = 'udp-datetime';
const DATE = /^\d{4}-\d{2}-\d{2}$/u;
const TIME = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d$/u;
/** Seconds of disagreement allowed between the server's clock and ours (modulo 15 minutes). */
const CLOCK_TOLERANCE_S = 10;

export const udpDatetimeProtocol: DatagramProtocol = {
  exercise: X,
  request: (n) => (n % 2 === 0 ? { send: 'SEND_DATE', expect: DATE } : { send: 'SEND_TIME', expect: TIME }),
};

function checkDate(text: string): void {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) throw new CaseFailure(`sent "SEND_DATE"; got "${text}", which is not a calendar date`);
  if (Math.abs(date.getTime() - Date.now()) > 2 * 86_400_000) throw new CaseFailure(`sent "SEND_DATE"; got "${text}", more than a day away from today (UTC ${new Date().toISOString().slice(0, 10)})`);
}

function checkTime(text: string): void {
  const [h, m, s] = text.split(':').map(Number) as [number, number, number];
  const theirs = (h * 3600 + m * 60 + s) % 900;
  const now = new Date();
  const ours = (now.getUTCMinutes() * 60 + now.getUTCSeconds()) % 900;
  const gap = Math.min(Math.abs(theirs - ours), 900 - Math.abs(theirs - ours));
  if (gap > CLOCK_TOLERANCE_S) throw new CaseFailure(`sent "SEND_TIME"; got "${text}", whose minutes and seconds are ${gap} s off the current time (UTC ${now.toISOString().slice(11, 19)})`);
}

async function ask(probe: UdpProbe, send: string | Uint8Array, expect: string | RegExp): Promise<string> {
  await probe.send(send);
  return probe.expectDatagram(expect);
}

export const udpDatetimeSuite: ServerSuite = {
  role: 'server',
  exercise: X,
  transport: 'udp',
  cases: [
    serverCase(X, 'basic', 'date', 'answers "SEND_DATE" with today\'s date as YYYY-MM-DD', async (ctx) => {
      checkDate(await ask(await ctx.udp(), 'SEND_DATE', DATE));
    }),
    serverCase(X, 'basic', 'time', 'answers "SEND_TIME" with the time as 24-hour HH:MM:SS', async (ctx) => {
      checkTime(await ask(await ctx.udp(), 'SEND_TIME', TIME));
    }),
    serverCase(X, 'basic', 'unknown', 'answers anything else, and lower case, with "ERROR unknown request"', async (ctx) => {
      const probe = await ctx.udp();
      await ask(probe, 'HELLO', 'ERROR unknown request');
      await ask(probe, 'send_date', 'ERROR unknown request');
      await ask(probe, 'SEND_DATE please', 'ERROR unknown request');
    }),
    serverCase(X, 'basic', 'whitespace', 'ignores spaces and tabs around the request', async (ctx) => {
      const probe = await ctx.udp();
      checkDate(await ask(probe, '  SEND_DATE\t', DATE));
    }),
    serverCase(X, 'framing', 'trailing-newline', 'accepts a request ending in "\\n" or "\\r\\n" (nc -u)', async (ctx) => {
      const probe = await ctx.udp();
      await ask(probe, 'SEND_TIME\n', TIME);
      await ask(probe, 'SEND_DATE\r\n', DATE);
    }),
    serverCase(X, 'framing', 'at-limit', `answers a request padded to exactly ${DATAGRAM_LIMIT} bytes`, async (ctx) => {
      const probe = await ctx.udp();
      await ask(probe, `SEND_DATE${' '.repeat(DATAGRAM_LIMIT - 9)}`, DATE);
    }),
    serverCase(X, 'framing', 'over-limit', `answers a datagram of ${DATAGRAM_LIMIT + 1} bytes with "ERROR datagram too large"`, async (ctx) => {
      const probe = await ctx.udp();
      await ask(probe, `SEND_DATE${' '.repeat(DATAGRAM_LIMIT - 8)}`, 'ERROR datagram too large');
    }),
    ...datagramConcurrencyCases(udpDatetimeProtocol),
    serverCase(X, 'robustness', 'invalid-utf8', 'answers bytes that are not UTF-8 with "ERROR invalid UTF-8" and goes on', async (ctx) => {
      const probe = await ctx.udp();
      await ask(probe, new Uint8Array([0x53, 0xff, 0xfe]), 'ERROR invalid UTF-8');
      await ask(probe, 'SEND_DATE', DATE);
    }),
    ...datagramFaultCases(udpDatetimeProtocol),
  ],
};
