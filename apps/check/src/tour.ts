/**
 * Tour part: `netlab check` grades a small buggy echo server (one `recv()` taken as one message,
 * one client at a time) and shows the report: which cases caught which bug, and the score.
 */
import type { TourContext, TourPart } from '@netlab/exercise-kit';
import { writeBuggyEcho } from './buggy-echo.js';

export const checkTourPart: TourPart = {
  name: 'check',
  title: 'grading a buggy echo server: per-case results, a score, a replayable seed',
  async run(ctx) {
    const buggy = writeBuggyEcho();
    try {
      await gradeBuggyEcho(ctx, `"${process.execPath}" "${buggy.path}" {port}`);
    } finally {
      buggy.remove();
    }
  },
};

async function gradeBuggyEcho(ctx: TourContext, command: string): Promise<void> {
  ctx.note('the server under test: one recv() taken as one message, one client at a time');
  ctx.say('teacher', `netlab check echo --server-cmd 'node buggy-echo.mjs {port}' --only echo.basic,echo.framing,echo.concurrency --seed 7`);
  const result = await ctx.run(['check', 'echo', '--server-cmd', command, '--only', 'echo.basic,echo.framing,echo.concurrency', '--seed', '7']);
  for (const line of result.stdout.split('\n')) if (line !== '') ctx.say('check', line);
  if (result.code !== 1) throw new Error(`expected netlab check to find the bugs (exit 1), got exit ${result.code}: ${result.stderr}`);
  if (!result.stdout.includes('✗ echo.framing.one-byte-segments') || !result.stdout.includes('✗ echo.concurrency.idle-client')) {
    throw new Error('netlab check did not report the two bugs it should have found');
  }
  ctx.note('exit status 1: some case failed. The same --seed replays every random input and fault decision.');
}
