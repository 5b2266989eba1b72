/**
 * Server suite of docs/protocols/text-case.md (upper case, the default). Only characters whose
 * full upper-case mapping is the same in every Unicode version since 6.0 are used, so any
 * language's built-in full mapping (JavaScript `toUpperCase`, Python `str.upper`) passes.
 */
import type { ServerSuite } from '../case.js';
import { type LineProtocol, LINE_LIMIT, concurrencyCases, converse, expectStillServing, faultCases, framingCases, randomPhrase, robustnessCases, serverCase } from './helpers.js';

const X = 'text-case';

export const textCaseProtocol: LineProtocol = {
  exercise: X,
  ready: () => Promise.resolve(),
  exchange: (rng, n) => {
    const line = `${randomPhrase(rng)}${n > 0 ? ` from ${n}` : ''}`;
    return { send: line, expect: [line.toUpperCase()] };
  },
  utf8: { send: 'grüße', expect: ['GRÜSSE'] },
  atLimit: () => ({ send: 't'.repeat(LINE_LIMIT), expect: ['T'.repeat(LINE_LIMIT)] }),
  tooLong: 'ERROR line too long',
  invalidUtf8: 'ERROR invalid UTF-8',
};

export const textCaseSuite: ServerSuite = {
  role: 'server',
  exercise: X,
  transport: 'tcp',
  cases: [
    serverCase(X, 'basic', 'ascii', 'upper-cases ASCII ("Hello, World" → "HELLO, WORLD")', async (ctx) => {
      const probe = await ctx.tcp();
      await converse(probe, { send: 'Hello, World', expect: ['HELLO, WORLD'] });
      await converse(probe, textCaseProtocol.exchange(ctx.rng, 0, probe));
    }),
    serverCase(X, 'basic', 'unicode', 'upper-cases Latin, Greek and Cyrillic letters ("ölçü ελλάδα москва")', async (ctx) => {
      const probe = await ctx.tcp();
      await converse(probe, { send: 'ölçü ελλάδα москва', expect: ['ÖLÇÜ ΕΛΛΆΔΑ МОСКВА'] });
    }),
    serverCase(X, 'basic', 'full-mapping', 'uses the full case mapping: one character may become several ("straße ﬁx" → "STRASSE FIX")', async (ctx) => {
      const probe = await ctx.tcp();
      await converse(probe, { send: 'straße ﬁx', expect: ['STRASSE FIX'] });
    }),
    serverCase(X, 'basic', 'uncased', 'leaves digits, CJK and emoji unchanged', async (ctx) => {
      const probe = await ctx.tcp();
      await converse(probe, { send: '123 漢字 👋 ½', expect: ['123 漢字 👋 ½'] });
    }),
    serverCase(X, 'basic', 'growing-reply', `answers a line of ${LINE_LIMIT} bytes that triples when upper-cased (4096 × "ΐ")`, async (ctx) => {
      const probe = await ctx.tcp();
      await converse(probe, { send: 'ΐ'.repeat(LINE_LIMIT / 2), expect: ['ΐ'.repeat(LINE_LIMIT / 2).toUpperCase()] });
    }),
    ...framingCases(textCaseProtocol),
    ...concurrencyCases(textCaseProtocol),
    ...robustnessCases(textCaseProtocol),
    serverCase(X, 'robustness', 'trailing-cr', 'treats CRs at the end of a line as part of its terminator ("x\\r\\r\\n" → "X") and keeps the connection', async (ctx) => {
      const probe = await ctx.tcp();
      await probe.send('x\r\r\n');
      await probe.expectLine('X');
      await converse(probe, { send: 'after', expect: ['AFTER'] });
      probe.destroy();
      await expectStillServing(ctx, textCaseProtocol, 'a line ending in CR');
    }),
    ...faultCases(textCaseProtocol),
  ],
};
