import type { TourPart } from '@netlab/exercise-kit';
import { outputLines, runTourClient, sayExchange, sayLines, startTourServer } from '@netlab/exercise-kit';

/** Scripted requests, then the lab's random client, then a server that never answers. */
export const udpDatetimeTourPart: TourPart = {
  name: 'udp-datetime',
  title: 'date and time over UDP, with retries and a loss count',
  async run(ctx) {
    const server = await startTourServer(ctx, 'udp-datetime', ['--utc']);
    const script = ['SEND_DATE', 'SEND_TIME', 'HELLO'];
    const scripted = await runTourClient(ctx, 'udp-datetime', server, { input: `${script.join('\n')}\n` });
    const lines = outputLines(scripted.stdout);
    sayExchange(ctx, { sent: script, received: lines.slice(0, script.length) });
    ctx.note('random mode: --count 4 --interval 50-150ms --seed 7');
    const random = await runTourClient(ctx, 'udp-datetime', server, { args: ['--count', '4', '--interval', '50-150ms', '--seed', '7'] });
    sayLines(ctx, 'client', random.stdout);
    const proxy = await ctx.startServer(['proxy', '--protocol', 'udp', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${server.port}`, '--loss', '40%', '--seed', '3']);
    ctx.note('through `netlab proxy --loss 40%`: lost datagrams are retried after --timeout 150ms, at most twice');
    const lossy = await runTourClient(ctx, 'udp-datetime', proxy, {
      args: ['--count', '6', '--interval', '20-40ms', '--timeout', '150ms', '--seed', '7'],
      expectFailure: true,
    });
    sayLines(ctx, 'client', lossy.stdout);
    ctx.note('the same client against a stopped server: the first datagram draws "port unreachable"');
    await server.process.stop();
    const refused = await runTourClient(ctx, 'udp-datetime', server, { args: ['--count', '1', '--timeout', '200ms'], expectFailure: true });
    sayLines(ctx, 'client', refused.stderr.split('\n').filter((line) => line.startsWith('error:')).join('\n'));
  },
};
