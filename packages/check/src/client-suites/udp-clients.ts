/**
 * Client suites of the UDP exercises: netlab answers, drops or delays each datagram on purpose
 * and checks that the client retries with the documented spacing (the timeout, about 1 s; not
 * sooner than 500 ms, not later than 3 s × time-scale), gives up with a non-zero status after
 * its retries, and never takes a late duplicate reply for the answer to its next request.
 */
import type { ClientSuite } from '../case.js';
import { CaseFailure } from '../errors.js';
import type { Arrival } from './scripted-server.js';
import { CLIENT_RUN_TIMEOUT_MS, clientCase, expectExit, expectPrinted, expectSent, runClient } from './helpers.js';
import { startScriptedUdpServer } from './scripted-server.js';

/** A resend sooner than this after the first send is not a timeout-driven retry, ms (not scaled). */
export const MIN_RETRY_GAP_MS = 500;
/** A resend later than this (× time-scale) does not follow the documented 1 s timeout, ms. */
export const MAX_RETRY_GAP_MS = 3000;

function expectRetry(arrivals: readonly Arrival[], payload: string, maxGapMs: number): void {
  const copies = arrivals.filter((a) => a.text === payload);
  const [first, second] = copies;
  if (first === undefined || second === undefined) throw new CaseFailure(`the first "${payload}" got no reply; expected the client to send it again after its timeout; it sent it ${copies.length} time(s)`);
  const gap = second.atMs - first.atMs;
  if (gap < MIN_RETRY_GAP_MS || gap > maxGapMs) throw new CaseFailure(`expected the retry of "${payload}" ${MIN_RETRY_GAP_MS}-${maxGapMs} ms after the first send (the documented timeout is 1000 ms); it came after ${gap} ms`);
}

export const udpHelloClientSuite: ClientSuite = {
  role: 'client',
  exercise: 'udp-hello',
  transport: 'udp',
  cases: [
    clientCase('udp-hello', 'ok', 'sends each input line as one datagram and prints the "Ok", exit 0', async (ctx) => {
      const server = await startScriptedUdpServer(ctx, (_text, reply) => {
        reply('Ok');
      });
      const run = await runClient(ctx, server.endpoint, 'hello there\n');
      expectExit(run, true, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
      expectSent(server.arrivals().map((a) => a.text), ['hello there'], 'datagrams');
      expectPrinted(run, ['Ok']);
    }),
    clientCase('udp-hello', 'retry', 'resends after a lost reply, about one timeout later, and prints the "Ok"', async (ctx) => {
      const server = await startScriptedUdpServer(ctx, (_text, reply, index) => {
        if (index > 0) reply('Ok');
      });
      const run = await runClient(ctx, server.endpoint, 'are you there?\n');
      expectExit(run, true, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
      expectRetry(server.arrivals(), 'are you there?', ctx.ms(MAX_RETRY_GAP_MS));
      expectPrinted(run, ['Ok']);
    }),
    clientCase('udp-hello', 'gives-up', 'gives up after its retries when no reply ever comes, with a non-zero status and a message', async (ctx) => {
      const server = await startScriptedUdpServer(ctx, () => undefined);
      const run = await runClient(ctx, server.endpoint, 'anyone?\n');
      expectExit(run, false, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
      if (server.arrivals().length < 2) throw new CaseFailure(`expected at least one retry before giving up; the client sent ${server.arrivals().length} datagram(s)`);
      if (`${run.stdout}${run.stderr}`.trim() === '') throw new CaseFailure('the client gave up without a word: expected a message saying no reply came');
    }),
  ],
};

/**
 * Delays of the late-duplicate case, against the documented 1 s client timeout (not scaled:
 * they are about the client's timer, not the machine's speed). The late copy of the first reply
 * lands 1.6 s after the first send, while the next request, sent after the retry was answered
 * (~1 s), still waits for its own reply (0.8 s late).
 */
export const LATE_REPLY_MS = 1600;
export const SLOW_REPLY_MS = 800;

const DATE = '2024-03-10';
const TIME = '06:59:58';
const answerOf = (text: string): string => (text === 'SEND_DATE' ? DATE : text === 'SEND_TIME' ? TIME : 'ERROR unknown request');

export const udpDatetimeClientSuite: ClientSuite = {
  role: 'client',
  exercise: 'udp-datetime',
  transport: 'udp',
  cases: [
    clientCase('udp-datetime', 'requests', 'sends SEND_DATE and SEND_TIME exactly as typed and prints each answer', async (ctx) => {
      const server = await startScriptedUdpServer(ctx, (text, reply) => {
        reply(answerOf(text));
      });
      const run = await runClient(ctx, server.endpoint, 'SEND_DATE\nSEND_TIME\n');
      expectExit(run, true, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
      expectSent(server.arrivals().map((a) => a.text), ['SEND_DATE', 'SEND_TIME'], 'datagrams');
      expectPrinted(run, [DATE, TIME]);
    }),
    clientCase('udp-datetime', 'retry', 'resends a request whose reply was lost, about one timeout later', async (ctx) => {
      const server = await startScriptedUdpServer(ctx, (text, reply, index) => {
        if (index > 0) reply(answerOf(text));
      });
      const run = await runClient(ctx, server.endpoint, 'SEND_TIME\n');
      expectExit(run, true, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
      expectRetry(server.arrivals(), 'SEND_TIME', ctx.ms(MAX_RETRY_GAP_MS));
      expectPrinted(run, [TIME]);
    }),
    clientCase('udp-datetime', 'late-duplicate', 'does not take a late reply to a retried request for the answer to the next one', async (ctx) => {
      let timeAnswered = false;
      const server = await startScriptedUdpServer(ctx, (text, reply, index) => {
        // The first SEND_DATE is answered late, after the client has resent it and been answered;
        // the first SEND_TIME is answered a little late too, so that the late date arrives first.
        if (index === 0) {
          reply(answerOf(text), LATE_REPLY_MS);
        } else if (text === 'SEND_TIME' && !timeAnswered) {
          timeAnswered = true;
          reply(answerOf(text), SLOW_REPLY_MS);
        } else {
          reply(answerOf(text));
        }
      });
      const run = await runClient(ctx, server.endpoint, 'SEND_DATE\nSEND_TIME\n');
      expectExit(run, true, ctx.ms(CLIENT_RUN_TIMEOUT_MS));
      expectPrinted(run, [DATE, TIME]);
      const dates = run.stdout.split('\n').filter((line) => line.includes(DATE)).length;
      if (dates !== 1) throw new CaseFailure(`the late duplicate "${DATE}" was printed as an answer: ${dates} lines show it (stdout ${JSON.stringify(run.stdout)})`);
    }),
  ],
};
