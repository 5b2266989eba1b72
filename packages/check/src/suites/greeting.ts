/** Server suite of docs/protocols/greeting.md: one line on connect, then the server closes. */
import type { ServerSuite } from '../case.js';
import { CaseFailure } from '../errors.js';
import { showBytes } from '../escape.js';
import { PARALLEL_CLIENTS, serverCase } from './helpers.js';

const X = 'greeting';
const GREETING = 'Thank you for connecting';

export const greetingSuite: ServerSuite = {
  role: 'server',
  exercise: X,
  transport: 'tcp',
  cases: [
    serverCase(X, 'basic', 'greets', `sends "${GREETING}" on connect, then closes`, async (ctx) => {
      const probe = await ctx.tcp();
      await probe.expectLine(GREETING);
      await probe.expectClosed();
    }),
    serverCase(X, 'basic', 'ignores-input', 'greets and closes even when the client speaks first', async (ctx) => {
      const probe = await ctx.tcp();
      await probe.send('hello?\n');
      await probe.expectLine(GREETING);
      await probe.expectClosed();
    }),
    serverCase(X, 'framing', 'one-line', 'the greeting is one line ending in a newline, and nothing else', async (ctx) => {
      const probe = await ctx.tcp();
      const line = await probe.nextLine();
      if (line !== GREETING) throw new CaseFailure(`expected exactly one line ${showBytes(GREETING)}; got ${line === undefined ? 'no complete line (no newline before the close?)' : showBytes(line)}`);
      await probe.expectClosed();
    }),
    serverCase(X, 'concurrency', 'parallel', `greets ${PARALLEL_CLIENTS * 2} clients connecting at once`, async (ctx) => {
      const probes = await Promise.all(Array.from({ length: PARALLEL_CLIENTS * 2 }, (_, n) => ctx.tcp(`client ${n + 1}`)));
      await Promise.all(
        probes.map(async (probe) => {
          await probe.expectLine(GREETING);
          await probe.expectClosed();
        }),
      );
    }),
    serverCase(X, 'robustness', 'vanishing-clients', 'keeps greeting after clients reset the connection at once', async (ctx) => {
      for (let i = 0; i < 5; i++) (await ctx.tcp(`vanishing client ${i + 1}`)).destroy();
      const probe = await ctx.tcp('next client');
      await probe.expectLine(GREETING);
      await probe.expectClosed();
    }),
    serverCase(
      X,
      'faults',
      'latency',
      'greets through a proxy adding 200 ms of latency each way',
      async (ctx) => {
        const via = await ctx.tcpFaults({ up: { latencyMs: 200 }, down: { latencyMs: 200, jitterMs: 50 } });
        const probe = await ctx.tcp('client', via);
        await probe.expectLine(GREETING);
        await probe.expectClosed();
      },
      { needs: ['faults'] },
    ),
    serverCase(
      X,
      'faults',
      'slicing',
      'greets through a proxy that delivers the greeting in 1-3 byte pieces',
      async (ctx) => {
        const via = await ctx.tcpFaults({ down: { slicer: true, slicerAverageSize: 2, slicerSizeVariation: 1, slicerDelayMs: 5 } });
        const probe = await ctx.tcp('client', via);
        await probe.expectLine(GREETING);
        await probe.expectClosed();
      },
      { needs: ['faults'] },
    ),
  ],
};
