import type { TourPart } from '@netlab/exercise-kit';
import { outputLines, runTourClient, sayLines, startTourServer } from '@netlab/exercise-kit';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Three members in one room: alice and bob chat, carol joins late, whispers to alice and renames
 * herself, then everyone leaves. Each client is the real piped client; the transcript shows what
 * each one printed.
 */
export const chatTourPart: TourPart = {
  name: 'chat',
  title: 'a chat room: join, broadcast, /msg, /nick, leave (TCP)',
  async run(ctx) {
    const server = await startTourServer(ctx, 'chat');
    const linger = ['--linger', '1500'];
    const alice = runTourClient(ctx, 'chat', server, { args: ['--name', 'alice', ...linger], input: 'hi, anyone here?\n' });
    await sleep(400);
    const bob = runTourClient(ctx, 'chat', server, { args: ['--name', 'bob', ...linger], input: 'hello alice!\n/who\n' });
    await sleep(400);
    const carol = runTourClient(ctx, 'chat', server, { args: ['--name', 'carol', '--linger', '300'], input: '/msg alice psst, it is carol\n/nick caroline\nbye all\n' });
    const [a, b, c] = await Promise.all([alice, bob, carol]);
    ctx.note('alice typed: hi, anyone here?');
    sayLines(ctx, 'alice', a.stdout);
    ctx.note('bob typed: hello alice! · /who');
    sayLines(ctx, 'bob', b.stdout);
    ctx.note('carol typed: /msg alice psst, it is carol · /nick caroline · bye all');
    sayLines(ctx, 'carol', c.stdout);
    if (!outputLines(a.stdout).includes('carol (private): psst, it is carol')) throw new Error('alice did not get the private message');
  },
};
