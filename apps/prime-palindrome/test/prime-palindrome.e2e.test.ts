import { fileURLToPath } from 'node:url';
import { cliContractTests, connectRawTcp, type ExerciseServerProcess, lines, runTs, startExerciseServer } from '@netlab/exercise-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../src/command.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

describe('netlab prime-palindrome (real processes)', () => {
  let server: ExerciseServerProcess;
  beforeAll(async () => {
    server = await startExerciseServer(MAIN, 'prime-palindrome', 'tcp');
  });
  afterAll(async () => {
    await server.proc.stop('SIGKILL');
  });

  it('answers piped requests one per line, in canonical decimal, exit 0', TIMEOUT, async () => {
    const input = ['7 prime', 'PALINDROME 12321', '18446744073709551557 prime', '3825123056546413051 prime', '-121 palindrome', '+0007 Prime', '12 even', ''].join('\n');
    const result = await runTs(MAIN, ['client', '--port', String(server.port)], { input: `${input}\n` });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const replies = lines(result.stdout);
    expect(replies.slice(0, 6)).toEqual([
      '7 is prime',
      '12321 is a palindrome',
      '18446744073709551557 is prime',
      '3825123056546413051 is not prime',
      '-121 is not a palindrome',
      '7 is prime',
    ]);
    expect(replies).toHaveLength(8);
    expect(replies[6]).toMatch(/^ERROR /);
    expect(replies[7]).toMatch(/^ERROR /);
  });

  it('talks to nc/telnet (\\n and \\r\\n) and to a lab client that sends no newline', TIMEOUT, async () => {
    const nc = await connectRawTcp(server.port);
    nc.write('11 prime\r\n121 palindrome\n');
    expect(await nc.waitForLines(2)).toEqual(['11 is prime', '121 is a palindrome']);
    nc.destroy();
    const lab = await connectRawTcp(server.port);
    lab.write('prime 91');
    expect(await lab.waitForLines(1)).toEqual(['91 is not prime']);
    expect(lab.text()).toBe('91 is not prime\n');
    lab.destroy();
  });

  it('logs connections on stderr, one startup line on stdout, exit 0 on SIGTERM', TIMEOUT, async () => {
    expect(server.proc.stderr()).toMatch(/^prime-palindrome: connection from 127\.0\.0\.1:\d+$/m);
    expect(lines(server.proc.stdout())).toEqual([`prime-palindrome listening on tcp://127.0.0.1:${server.port}`]);
    expect(await server.proc.stop('SIGTERM')).toBe(0);
  });

  cliContractTests({ main: MAIN, exercise: 'prime-palindrome', transport: 'tcp', defaultPort: DEFAULT_PORT });
});
