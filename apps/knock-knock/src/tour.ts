import type { TourPart } from '@netlab/exercise-kit';
import { outputLines, runTourClient, sayExchange, startTourServer } from '@netlab/exercise-kit';

const SCRIPT = ["Who's there?", 'Turnip who?', 'y', 'Who is it?', 'Who’s there?', 'little old lady who?', 'n'];

/** Two jokes, a wrong answer corrected, a curly apostrophe accepted, then Bye. */
export const knockKnockTourPart: TourPart = {
  name: 'knock-knock',
  title: "the Java tutorial's jokes: the server speaks first (TCP)",
  async run(ctx) {
    const server = await startTourServer(ctx, 'knock-knock');
    const result = await runTourClient(ctx, 'knock-knock', server, { input: `${SCRIPT.join('\n')}\n` });
    const received = outputLines(result.stdout);
    sayExchange(ctx, { sent: SCRIPT, received, banner: 1 });
    if (received.at(-1) !== 'Bye.') throw new Error(`expected the server to say Bye., got ${JSON.stringify(received.at(-1))}`);
    ctx.note('the server closed the connection after "Bye."');
  },
};
