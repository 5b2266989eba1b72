import type { TourPart } from '@netlab/exercise-kit';
import { outputLines, runTourClient, sayExchange, startTourServer } from '@netlab/exercise-kit';

const LINES = ['Hello, World', 'straße → STRASSE', 'ﬁne ΐ İstanbul'];

/** The same lines through an upper-casing and a lower-casing server. */
export const textCaseTourPart: TourPart = {
  name: 'text-case',
  title: 'upper and lower case with full Unicode mapping (TCP)',
  async run(ctx) {
    const upper = await startTourServer(ctx, 'text-case');
    const lower = await startTourServer(ctx, 'text-case', ['--to', 'lower']);
    const input = `${LINES.join('\n')}\n`;
    const [up, down] = await Promise.all([runTourClient(ctx, 'text-case', upper, { input }), runTourClient(ctx, 'text-case', lower, { input })]);
    ctx.note('--to upper (the default):');
    sayExchange(ctx, { sent: LINES, received: outputLines(up.stdout) });
    ctx.note('--to lower:');
    sayExchange(ctx, { sent: LINES, received: outputLines(down.stdout) });
    if (!outputLines(up.stdout).includes('STRASSE → STRASSE')) throw new Error('ß was not mapped to SS');
  },
};
