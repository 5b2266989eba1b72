import type { TourPart } from '@netlab/exercise-kit';
import { outputLines, runTourClient, sayLines, startTourServer } from '@netlab/exercise-kit';

/** Two clients connect; each is greeted and hung up on. */
export const greetingTourPart: TourPart = {
  name: 'greeting',
  title: 'the server speaks once and hangs up (TCP)',
  async run(ctx) {
    const server = await startTourServer(ctx, 'greeting');
    for (const who of ['client 1', 'client 2']) {
      ctx.note(`${who} connects`);
      const result = await runTourClient(ctx, 'greeting', server);
      sayLines(ctx, 'server', result.stdout);
      if (outputLines(result.stdout).length !== 1) throw new Error(`expected one greeting line, got ${JSON.stringify(result.stdout)}`);
      ctx.note('server closed the connection; client exited 0');
    }
  },
};
