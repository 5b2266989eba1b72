import type { TourPart } from '@netlab/exercise-kit';
import { outputLines, runTourClient, sayExchange, startTourServer } from '@netlab/exercise-kit';
import { DEFAULT_MESSAGE } from './default-message.js';

/** The default joke, a message from the command line, and piped lines. */
export const udpHelloTourPart: TourPart = {
  name: 'udp-hello',
  title: 'every datagram is answered "Ok" (UDP)',
  async run(ctx) {
    const server = await startTourServer(ctx, 'udp-hello');
    const joke = await runTourClient(ctx, 'udp-hello', server);
    sayExchange(ctx, { sent: [DEFAULT_MESSAGE], received: outputLines(joke.stdout) });
    const given = await runTourClient(ctx, 'udp-hello', server, { args: ['hello', 'over', 'UDP'] });
    sayExchange(ctx, { sent: ['hello over UDP'], received: outputLines(given.stdout) });
    const piped = ['one datagram', 'another'];
    const lines = await runTourClient(ctx, 'udp-hello', server, { input: `${piped.join('\n')}\n` });
    sayExchange(ctx, { sent: piped, received: outputLines(lines.stdout) });
  },
};
