import type { TourPart } from '@netlab/exercise-kit';
import { outputLines, runTourClient, startTourServer } from '@netlab/exercise-kit';
import { checkRequest } from './calculator-client.js';

const NAME = 'Ada';
const REQUESTS = ['12 + 42', '3.24 - 45', '5 x 5', '0.1 + 0.2', '1 / 3', '10 / 0', 'q'];

/**
 * One named session: exact decimals, a line the client refuses to send (shown in its place, with
 * the reason), a rounded quotient, a division by zero, then q; and what the server logged.
 */
export const calculatorTourPart: TourPart = {
  name: 'calculator',
  title: 'a named session of exact decimal arithmetic; q ends it (TCP)',
  async run(ctx) {
    const server = await startTourServer(ctx, 'calculator');
    const result = await runTourClient(ctx, 'calculator', server, { input: `${[NAME, ...REQUESTS].join('\n')}\n` });
    const replies = outputLines(result.stdout);
    ctx.say('client', `${NAME}   (the first line names the session)`);
    ctx.say('server', replies.shift() ?? '(no reply)');
    for (const line of REQUESTS) {
      ctx.say('client', line);
      const refused = line === 'q' ? undefined : checkRequest(line);
      if (refused !== undefined) {
        ctx.note(`(not sent: the client checks every line with the server's own parser: ${refused})`);
        continue;
      }
      ctx.say('server', replies.shift() ?? '(no reply)');
    }
    const log = server.process.stderr().split('\n').filter((line) => line.includes(`"${NAME}"`));
    for (const line of log) ctx.note(`server log: ${line.replace(/^calculator: \S+: /, '')}`);
    if (outputLines(result.stdout).at(-1) !== 'Session ended') throw new Error('the session did not end with "Session ended"');
  },
};
