/** Server suite of docs/protocols/echo.md: every line comes back unchanged; `bye` ends the session. */
import type { ServerSuite } from '../case.js';
import { type LineProtocol, LINE_LIMIT, concurrencyCases, converse, expectStillServing, faultCases, framingCases, randomPhrase, robustnessCases, serverCase } from './helpers.js';

const X = 'echo';

export const echoProtocol: LineProtocol = {
  exercise: X,
  ready: () => Promise.resolve(),
  exchange: (rng, n) => {
    const line = `${randomPhrase(rng)}${n > 0 ? ` from ${n}` : ''}`;
    return { send: line, expect: [line] };
  },
  utf8: { send: 'grüß dich 👋', expect: ['grüß dich 👋'] },
  atLimit: () => {
    const line = 'e'.repeat(LINE_LIMIT);
    return { send: line, expect: [line] };
  },
  tooLong: 'ERROR line too long',
  invalidUtf8: 'ERROR invalid UTF-8',
};

export const echoSuite: ServerSuite = {
  role: 'server',
  exercise: X,
  transport: 'tcp',
  cases: [
    serverCase(X, 'basic', 'line', 'echoes a line unchanged', async (ctx) => {
      const probe = await ctx.tcp();
      await converse(probe, echoProtocol.exchange(ctx.rng, 0, probe));
      await converse(probe, echoProtocol.exchange(ctx.rng, 0, probe));
    }),
    serverCase(X, 'basic', 'utf8', 'echoes non-ASCII text byte for byte', async (ctx) => {
      const probe = await ctx.tcp();
      await converse(probe, { send: 'grüß dich 👋 — 李雷', expect: ['grüß dich 👋 — 李雷'] });
    }),
    serverCase(X, 'basic', 'empty-line', 'echoes an empty line as an empty line', async (ctx) => {
      const probe = await ctx.tcp();
      await converse(probe, { send: '', expect: [''] });
      await converse(probe, { send: 'still here', expect: ['still here'] });
    }),
    serverCase(X, 'basic', 'bye', 'answers "BYE" with "Goodbye" and closes', async (ctx) => {
      const probe = await ctx.tcp();
      await converse(probe, { send: 'hello', expect: ['hello'] });
      await converse(probe, { send: 'BYE', expect: ['Goodbye'] });
      await probe.expectClosed();
    }),
    serverCase(X, 'basic', 'bye-whitespace', 'ignores spaces and tabs around "bye" (" Bye\\t" ends the session)', async (ctx) => {
      const probe = await ctx.tcp();
      await converse(probe, { send: ' Bye\t', expect: ['Goodbye'] });
      await probe.expectClosed();
    }),
    serverCase(X, 'basic', 'not-bye', 'echoes lines that merely contain bye ("goodbye", "bye bye")', async (ctx) => {
      const probe = await ctx.tcp();
      await converse(probe, { send: 'goodbye', expect: ['goodbye'] });
      await converse(probe, { send: 'bye bye', expect: ['bye bye'] });
    }),
    ...framingCases(echoProtocol),
    ...concurrencyCases(echoProtocol),
    ...robustnessCases(echoProtocol),
    serverCase(X, 'robustness', 'trailing-cr', 'treats CRs at the end of a line as part of its terminator ("x\\r\\r\\n" → "x") and keeps the connection', async (ctx) => {
      const probe = await ctx.tcp();
      await probe.send('x\r\r\n');
      await probe.expectLine('x');
      await converse(probe, { send: 'after', expect: ['after'] });
      probe.destroy();
      await expectStillServing(ctx, echoProtocol, 'a line ending in CR');
    }),
    ...faultCases(echoProtocol),
  ],
};
