import { fileURLToPath } from 'node:url';
import { closedTcpPort, lines, runTs } from '@netlab/exercise-kit/testing';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

// These need no Redis: they check what `chat server --redis` says before it has one.
describe('netlab chat server --redis: bad options and an unreachable Redis', () => {
  it('exits 1 with one line naming the Redis it cannot reach', TIMEOUT, async () => {
    const port = await closedTcpPort();
    const result = await runTs(MAIN, ['server', '--port', '0', '--redis', `redis://127.0.0.1:${port}`], { timeoutMs: 30_000 });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([`error: cannot reach redis at redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`]);
    expect(result.stdout).toBe('');
  });

  it('rejects a bad room name, a URL that is not redis:// and a lease under 300 ms, one line each', TIMEOUT, async () => {
    const cases: [string[], RegExp][] = [
      [['--redis', 'redis://127.0.0.1:6379', '--room', 'no spaces'], /^error: invalid --room "no spaces"/u],
      [['--redis', 'http://127.0.0.1:6379'], /^error: invalid --redis "http:\/\/127\.0\.0\.1:6379": expected redis:\/\/host:port$/u],
      [['--redis', 'redis://127.0.0.1:6379', '--redis-lease', '100ms'], /^error: invalid --redis-lease: expected at least 300ms/u],
      [['--redis', 'redis://127.0.0.1:6379', '--redis-log-max', '5'], /^error: invalid --redis-log-max/u],
    ];
    for (const [args, pattern] of cases) {
      const result = await runTs(MAIN, ['server', '--port', '0', ...args], { timeoutMs: 30_000 });
      expect(result.code, args.join(' ')).toBe(1);
      expect(lines(result.stderr), args.join(' ')).toEqual([expect.stringMatching(pattern)]);
    }
  });
});
