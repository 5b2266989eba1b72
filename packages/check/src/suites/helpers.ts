/**
 * Building blocks of the built-in server suites. The line protocols share their framing,
 * concurrency, robustness and fault cases: each suite describes how to reach a state where a
 * request line gets a known reply (`LineProtocol`), and `lineProtocolCases` turns that into
 * the shared cases, with ids `<exercise>.<group>.<name>`.
 *
 * Timing assumptions every case keeps (and docs/check.md states): pieces of one line are sent
 * less than 100 ms apart (servers flush a partial line only after ~150 ms of quiet); a reply is
 * awaited up to 3 s × time-scale; a partial line is awaited up to 3 s × time-scale.
 */
import type { Prng } from '@netlab/faults';
import type { ServerCase, ServerCaseContext } from '../case.js';
import { CaseFailure, CheckError } from '../errors.js';
import { showBytes } from '../escape.js';
import type { TcpProbe } from '../tcp-probe.js';

/** The line limit of every text exercise (docs/protocols/*.md), bytes without the terminator. */
export const LINE_LIMIT = 8192;
/** Gap between the pieces of one line, ms: well under the servers' quiet flush. Not scaled. */
export const PIECE_GAP_MS = 20;
/** Clients the concurrency cases open at once. */
export const PARALLEL_CLIENTS = 5;

/** A request and the exact reply lines it must get, from a session that is ready. */
export interface Exchange {
  readonly send: string;
  readonly expect: readonly (string | RegExp)[];
}

/** What the shared line cases need to know about a protocol. */
export interface LineProtocol {
  readonly exercise: string;
  /** Brings a fresh connection to the state where `exchange` applies (log in, read a banner…); `n` tells parallel clients apart. */
  ready(probe: TcpProbe, n: number): Promise<void>;
  /** A request and its reply (may use `rng`; `n` tells parallel clients apart; `probe` is the ready connection). */
  exchange(rng: Prng, n: number, probe: TcpProbe): Exchange;
  /** Lines the server may push at any time, passed over by the shared cases (chat's joins and leaves). */
  readonly noise?: RegExp;
  /** A request containing a multi-byte character, and its reply. */
  readonly utf8: Exchange;
  /** A line of exactly {@link LINE_LIMIT} bytes and its reply. */
  atLimit(): Exchange;
  /** The reply to a line one byte over the limit; the server then closes. */
  readonly tooLong: string;
  /** The reply to invalid UTF-8; the server then closes. */
  readonly invalidUtf8: string;
  /** False for protocols where the server does not read (greeting). Default true. */
  readonly reads?: boolean;
}

/** A case with its id built from the exercise, group and name. */
export function serverCase(
  exercise: string,
  group: string,
  name: string,
  title: string,
  run: (ctx: ServerCaseContext) => Promise<void>,
  extra: Partial<Pick<ServerCase, 'points' | 'timeoutMs' | 'needs'>> = {},
): ServerCase {
  return { id: `${exercise}.${group}.${name}`, title, group, points: extra.points ?? 1, run, ...(extra.timeoutMs === undefined ? {} : { timeoutMs: extra.timeoutMs }), ...(extra.needs === undefined ? {} : { needs: extra.needs }) };
}

/** Expects each line of `expect` in order. */
export async function expectAll(probe: TcpProbe, expect: readonly (string | RegExp)[], skip?: RegExp): Promise<void> {
  for (const line of expect) await probe.expectLine(line, skip === undefined ? {} : { skip });
}

/** Sends `exchange.send` + `\n` and expects its reply. */
export async function converse(probe: TcpProbe, exchange: Exchange, skip?: RegExp): Promise<void> {
  await probe.send(`${exchange.send}\n`);
  await expectAll(probe, exchange.expect, skip);
}

const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];

/** A short seeded phrase of ASCII words: `bravo kilo 17`. */
export function randomPhrase(rng: Prng): string {
  const a = WORDS[rng.int(WORDS.length)] ?? 'alpha';
  const b = WORDS[rng.int(WORDS.length)] ?? 'bravo';
  return `${a} ${b} ${rng.int(1000)}`;
}

/** Bytes of `text` split in the middle of its first multi-byte character: [before, after]. */
export function splitInsideCharacter(text: string): [Uint8Array, Uint8Array] {
  const bytes = new TextEncoder().encode(text);
  const index = bytes.findIndex((b) => b >= 0xc0);
  if (index === -1) throw new CaseFailure(`internal: ${showBytes(text)} has no multi-byte character`);
  return [bytes.subarray(0, index + 1), bytes.subarray(index + 1)];
}

function skipOf(protocol: LineProtocol): { skip?: RegExp } {
  return protocol.noise === undefined ? {} : { skip: protocol.noise };
}

/** Opens a connection and brings it to the ready state. */
async function openReady(ctx: ServerCaseContext, protocol: LineProtocol, name: string, n: number, via?: { host: string; port: number }): Promise<TcpProbe> {
  const probe = await ctx.tcp(name, via);
  await protocol.ready(probe, n);
  return probe;
}

/** A fresh client must still get a normal exchange (the server survived what came before). */
export async function expectStillServing(ctx: ServerCaseContext, protocol: LineProtocol, what: string): Promise<void> {
  let probe: TcpProbe;
  try {
    probe = await openReady(ctx, protocol, 'next client', 99);
  } catch (error) {
    throw new CaseFailure(`after ${what}, a new client could not be served: ${error instanceof Error ? error.message : String(error)}`);
  }
  const exchange = protocol.exchange(ctx.rng, 99, probe);
  try {
    await converse(probe, exchange, protocol.noise);
  } catch (error) {
    throw new CaseFailure(`after ${what}, a new client was not served: ${error instanceof Error ? error.message : String(error)}`);
  }
  probe.destroy();
}

/** Attempts of a piecewise send before the case gives up on a machine too busy to keep the gaps short. */
export const PIECEWISE_ATTEMPTS = 3;
/** The protocols promise that pieces of one line less than this far apart are one line, ms. */
export const SPLIT_GUARANTEE_MS = 100;

/**
 * Sends one line in pieces and expects its reply. A wrong reply counts only if every real gap
 * between pieces stayed under {@link SPLIT_GUARANTEE_MS}: on a loaded machine the checker's own
 * timers fire late, and a server may then rightly answer the first piece as a partial line. Such
 * an attempt is repeated on a fresh connection; after {@link PIECEWISE_ATTEMPTS} the case is an
 * `error` (it could not be judged), never a `fail`.
 */
async function piecewise(ctx: ServerCaseContext, protocol: LineProtocol, make: (probe: TcpProbe) => { readonly exchange: Exchange; readonly pieces: readonly Uint8Array[] }): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const probe = await openReady(ctx, protocol, 'client', 0);
    const { exchange, pieces } = make(probe);
    const slowest = await probe.sendPieces(pieces, PIECE_GAP_MS);
    try {
      await expectAll(probe, exchange.expect, protocol.noise);
      return;
    } catch (error) {
      if (slowest < SPLIT_GUARANTEE_MS) throw error;
      probe.destroy();
      if (attempt >= PIECEWISE_ATTEMPTS) {
        throw new CheckError('ERR_CASE_UNJUDGED', `could not send the pieces of one line less than ${SPLIT_GUARANTEE_MS} ms apart in ${PIECEWISE_ATTEMPTS} attempts (the slowest gap was ${slowest} ms): the machine is too busy to judge this case`);
      }
    }
  }
}

/** framing: no newline with a pause, CRLF, one byte per segment, several lines in one segment, split UTF-8, at and over the limit. */
export function framingCases(protocol: LineProtocol): ServerCase[] {
  const x = protocol.exercise;
  return [
    serverCase(x, 'framing', 'no-newline', 'answers a line sent without a newline once the client pauses (a classic lab client)', async (ctx) => {
      const probe = await openReady(ctx, protocol, 'client', 0);
      const exchange = protocol.exchange(ctx.rng, 0, probe);
      await probe.send(exchange.send);
      await expectAll(probe, exchange.expect, protocol.noise);
    }),
    serverCase(x, 'framing', 'crlf', 'accepts a line ending in CR LF (telnet, Windows)', async (ctx) => {
      const probe = await openReady(ctx, protocol, 'client', 0);
      const exchange = protocol.exchange(ctx.rng, 0, probe);
      await probe.send(`${exchange.send}\r\n`);
      await expectAll(probe, exchange.expect, protocol.noise);
    }),
    serverCase(x, 'framing', 'one-byte-segments', 'reassembles a line that arrives one byte per TCP segment', async (ctx) => {
      await piecewise(ctx, protocol, (probe) => {
        const exchange = protocol.exchange(ctx.rng, 0, probe);
        const bytes = new TextEncoder().encode(`${exchange.send}\n`);
        return { exchange, pieces: Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)) };
      });
    }),
    serverCase(x, 'framing', 'many-lines', 'answers three lines that arrive in one segment, in order', async (ctx) => {
      const probe = await openReady(ctx, protocol, 'client', 0);
      const exchanges = [protocol.exchange(ctx.rng, 0, probe), protocol.exchange(ctx.rng, 0, probe), protocol.exchange(ctx.rng, 0, probe)];
      await probe.send(exchanges.map((e) => `${e.send}\n`).join(''));
      for (const exchange of exchanges) await expectAll(probe, exchange.expect, protocol.noise);
    }),
    serverCase(x, 'framing', 'split-utf8', 'reassembles a UTF-8 character split across two segments', async (ctx) => {
      await piecewise(ctx, protocol, () => ({ exchange: protocol.utf8, pieces: splitInsideCharacter(`${protocol.utf8.send}\n`) }));
    }),
    serverCase(x, 'framing', 'at-limit', `accepts a line of exactly ${LINE_LIMIT} bytes`, async (ctx) => {
      const probe = await openReady(ctx, protocol, 'client', 0);
      await converse(probe, protocol.atLimit(), protocol.noise);
    }),
    serverCase(x, 'framing', 'over-limit', `answers a line of ${LINE_LIMIT + 1} bytes "${protocol.tooLong}" and closes`, async (ctx) => {
      const probe = await openReady(ctx, protocol, 'client', 0);
      await probe.send(`${'x'.repeat(LINE_LIMIT + 1)}\n`);
      await probe.expectLine(protocol.tooLong, skipOf(protocol));
      await probe.expectClosed({ ignoreLines: true });
      await expectStillServing(ctx, protocol, 'an over-long line');
    }),
  ];
}

/** concurrency: N clients at once; one idle client must not hold up the others. */
export function concurrencyCases(protocol: LineProtocol): ServerCase[] {
  const x = protocol.exercise;
  return [
    serverCase(x, 'concurrency', 'parallel', `serves ${PARALLEL_CLIENTS} clients connected at once, each with its own replies`, async (ctx) => {
      const probes = await Promise.all(Array.from({ length: PARALLEL_CLIENTS }, (_, n) => ctx.tcp(`client ${n + 1}`)));
      await Promise.all(
        probes.map(async (probe, n) => {
          await protocol.ready(probe, n + 1);
          await converse(probe, protocol.exchange(ctx.rng, n + 1, probe), protocol.noise);
          probe.destroy();
        }),
      );
    }),
    serverCase(x, 'concurrency', 'idle-client', 'serves a second client while the first stays connected and silent', async (ctx) => {
      await ctx.tcp('idle client');
      // The idle client connected first and says nothing; the next must not wait for it.
      const active = await ctx.tcp('second client');
      try {
        await protocol.ready(active, 1);
        await converse(active, protocol.exchange(ctx.rng, 1, active), protocol.noise);
      } catch (error) {
        throw new CaseFailure(`while another client stayed connected and silent: ${error instanceof Error ? error.message : String(error)} (does the server serve one client at a time?)`);
      }
    }),
  ];
}

/** robustness shared by line protocols: invalid UTF-8, a client that vanishes mid-line. */
export function robustnessCases(protocol: LineProtocol): ServerCase[] {
  const x = protocol.exercise;
  return [
    serverCase(x, 'robustness', 'invalid-utf8', `answers bytes that are not UTF-8 "${protocol.invalidUtf8}", closes, and serves the next client`, async (ctx) => {
      const probe = await openReady(ctx, protocol, 'client', 0);
      await probe.send(new Uint8Array([0x68, 0x69, 0xff, 0xfe, 0x0a]));
      await probe.expectLine(protocol.invalidUtf8, skipOf(protocol));
      await probe.expectClosed({ ignoreLines: true });
      await expectStillServing(ctx, protocol, 'invalid UTF-8');
    }),
    serverCase(x, 'robustness', 'vanishing-client', 'keeps serving after clients reset the connection mid-line', async (ctx) => {
      for (let i = 0; i < 3; i++) {
        const probe = await ctx.tcp(`vanishing client ${i + 1}`);
        await probe.send('half a li');
        probe.destroy();
      }
      await expectStillServing(ctx, protocol, 'three clients that reset mid-line');
    }),
  ];
}

/** faults through the fault proxy: latency both ways, and the stream sliced into small pieces. */
export function faultCases(protocol: LineProtocol): ServerCase[] {
  const x = protocol.exercise;
  return [
    serverCase(
      x,
      'faults',
      'latency',
      'works through a proxy adding 200 ms ± 50 ms of latency each way',
      async (ctx) => {
        const via = await ctx.tcpFaults({ up: { latencyMs: 200, jitterMs: 50 }, down: { latencyMs: 200, jitterMs: 50 } });
        const probe = await openReady(ctx, protocol, 'client', 0, via);
        await converse(probe, protocol.exchange(ctx.rng, 0, probe), protocol.noise);
        await converse(probe, protocol.exchange(ctx.rng, 0, probe), protocol.noise);
      },
      { needs: ['faults'] },
    ),
    serverCase(
      x,
      'faults',
      'slicing',
      'works through a proxy that slices the stream into 1-3 byte pieces',
      async (ctx) => {
        // No pause between slices (one per event-loop turn): a paced slicer on a busy machine could
        // leave gaps past the servers' quiet time, and a server may then rightly split the line.
        const via = await ctx.tcpFaults({ up: { slicer: true, slicerAverageSize: 2, slicerSizeVariation: 1 }, down: { slicer: true, slicerAverageSize: 2, slicerSizeVariation: 1 } });
        const probe = await openReady(ctx, protocol, 'client', 0, via);
        await converse(probe, protocol.exchange(ctx.rng, 0, probe), protocol.noise);
        await converse(probe, protocol.utf8, protocol.noise);
      },
      { needs: ['faults'] },
    ),
  ];
}
