import type { TourPart } from '@netlab/exercise-kit';
import { outputLines } from '@netlab/exercise-kit';

/**
 * The ATM part of the tour: a scripted withdrawal against a real server, then a short chaos run
 * (lossy network, the server killed twice under load) and its summary.
 */
export const atmTourPart: TourPart = {
  name: 'atm',
  title: 'exactly-once withdrawals through loss and a killed server (TCP)',
  async run(ctx) {
    const server = await ctx.startServer(['atm', 'server', '--port', '0', '--store', 'memory']);
    const port = String(server.port);
    for (const args of [['balance'], ['withdraw', '250'], ['deposit', '100.50'], ['withdraw', '5000']]) {
      const result = await ctx.run(['atm', 'client', '--port', port, '--card', '123456789', '--pin-stdin', ...args], '1234\n');
      ctx.say('atm', `${args.join(' ')}  →  ${result.stdout.trim()}`);
    }
    ctx.note('chaos: 4 ATMs × 40 operations, 20% loss each way, 2 kills of the server (SIGKILL) under load');
    const chaos = await ctx.run(['atm', 'chaos', '--clients', '4', '--operations', '40', '--kills', '2', '--loss', '20%', '--seed', '7']);
    for (const line of outputLines(chaos.stdout)) ctx.say('chaos', line);
    if (chaos.code !== 0) throw new Error(`the chaos run failed (exit ${chaos.code})`);
  },
};
