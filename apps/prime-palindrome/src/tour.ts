import type { TourPart } from '@netlab/exercise-kit';
import { outputLines, runTourClient, sayExchange, startTourServer } from '@netlab/exercise-kit';

const LINES = [
  '7 prime',
  'PALINDROME 12321',
  '18446744073709551557 prime',
  '3825123056546413051 prime',
  '-121 palindrome',
  '+0007 Prime',
  '12 even',
];

/** Small and 64-bit integers, a strong pseudoprime, signs and a bad request. */
export const primePalindromeTourPart: TourPart = {
  name: 'prime-palindrome',
  title: 'primes and palindromes of any size (TCP)',
  async run(ctx) {
    const server = await startTourServer(ctx, 'prime-palindrome');
    const result = await runTourClient(ctx, 'prime-palindrome', server, { input: `${LINES.join('\n')}\n` });
    sayExchange(ctx, { sent: LINES, received: outputLines(result.stdout) });
    ctx.note('2^64 − 59 is the largest 64-bit prime; 3825123056546413051 fools Miller–Rabin to every prime base up to 31');
  },
};
