import type { TourPart } from '@netlab/exercise-kit';
import { outputLines, runTourClient, sayExchange, startTourServer } from '@netlab/exercise-kit';

const SCRIPTS = {
  alice: ['hello, echo', 'grüß dich 👋', 'BYE'],
  bob: ['two clients at once', 'bye'],
} as const;

/** Two clients talk to one echo server at the same time, each until it says bye. */
export const echoTourPart: TourPart = {
  name: 'echo',
  title: 'every line comes back; "bye" ends the connection (TCP)',
  async run(ctx) {
    const server = await startTourServer(ctx, 'echo');
    const [alice, bob] = await Promise.all([
      runTourClient(ctx, 'echo', server, { input: `${SCRIPTS.alice.join('\n')}\n` }),
      runTourClient(ctx, 'echo', server, { input: `${SCRIPTS.bob.join('\n')}\n` }),
    ]);
    sayExchange(ctx, { sent: SCRIPTS.alice, received: outputLines(alice.stdout), client: 'alice' });
    sayExchange(ctx, { sent: SCRIPTS.bob, received: outputLines(bob.stdout), client: 'bob' });
    if (outputLines(alice.stdout).at(-1) !== 'Goodbye') throw new Error('alice was not told Goodbye');
  },
};
