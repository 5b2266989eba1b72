import type { TourPart } from '@netlab/exercise-kit';
import { outputLines, runTourClient, sayExchange, startTourServer } from '@netlab/exercise-kit';

const INPUT = ['Ada', '12 + 42', '3.24 - 45', '5 x 5', '0.1 + 0.2', '1 / 3', '10 / 0', 'q'];
/** What reaches the server: the client's own check keeps `5 x 5` back. */
const SENT = INPUT.filter((line) => line !== '5 x 5');

/** One named session: exact decimals, a line the client refuses, a rounded quotient, a division by zero, then q. */
export const calculatorTourPart: TourPart = {
  name: 'calculator',
  title: 'a named session of exact decimal arithmetic; q ends it (TCP)',
  async run(ctx) {
    const server = await startTourServer(ctx, 'calculator');
    const result = await runTourClient(ctx, 'calculator', server, { input: `${INPUT.join('\n')}\n` });
    for (const line of outputLines(result.stderr)) ctx.note(`client: ${line}`);
    sayExchange(ctx, { sent: SENT, received: outputLines(result.stdout), client: 'Ada', server: 'calculator' });
    const log = server.process.stderr().split('\n').filter((line) => line.includes('"Ada"'));
    for (const line of log) ctx.note(`server log: ${line.replace(/^calculator: \S+: /, '')}`);
    if (outputLines(result.stdout).at(-1) !== 'Session ended') throw new Error('the session did not end with "Session ended"');
  },
};
