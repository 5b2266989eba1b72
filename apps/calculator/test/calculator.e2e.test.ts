import { fileURLToPath } from 'node:url';
import { cliContractTests, connectRawTcp, type ExerciseServerProcess, lines, runTs, startExerciseServer } from '@netlab/exercise-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../src/command.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

describe('netlab calculator (real processes)', () => {
  let server: ExerciseServerProcess;
  beforeAll(async () => {
    server = await startExerciseServer(MAIN, 'calculator', 'tcp');
  });
  afterAll(async () => {
    await server.proc.stop('SIGKILL');
  });

  it('runs a named session: exact results, errors, a line the client refuses, then q', TIMEOUT, async () => {
    const input = ['Ada', '12 + 42', '3.24 - 45', '4.5 / -6', '0.1 + 0.2', '5 x 5', '10 / 0', '2 ^ 0.5', 'q', 'never sent'].join('\n');
    const result = await runTs(MAIN, ['client', '--port', String(server.port)], { input: `${input}\n` });
    expect(lines(result.stdout)).toEqual(['Hello, Ada', '54', '-41.76', '-0.75', '0.3', 'ERROR division by zero', 'ERROR exponent must be an integer', 'Session ended']);
    expect(lines(result.stderr)).toEqual(['warning: not sent: "5 x 5": invalid expression (expected <number> <op> <number> with + - * / % ^, e.g. 12 + 42)']);
    expect(result.code).toBe(0);
    const log = server.proc.stderr();
    expect(log).toMatch(/^calculator: 127\.0\.0\.1:\d+: "Ada": "12 \+ 42" → 54$/m);
    expect(log).toMatch(/^calculator: 127\.0\.0\.1:\d+: "Ada": "10 \/ 0" → ERROR division by zero$/m);
    expect(log).toMatch(/^calculator: 127\.0\.0\.1:\d+: "Ada": Session ended$/m);
    expect(log).not.toContain('5 x 5');
  });

  it('refuses a bad --name with one error line and exit 1, before connecting', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['client', '--port', String(server.port), '--name', ''], { input: '1 + 1\n' });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^error: invalid --name "": /) as unknown]);
  });

  it('takes the name from --name and keeps sessions apart', TIMEOUT, async () => {
    const [ada, bob] = await Promise.all([
      runTs(MAIN, ['client', '--port', String(server.port), '--name', 'Ada'], { input: '1 + 1\nq\n' }),
      runTs(MAIN, ['client', '--port', String(server.port), '--name', 'Bob'], { input: '2 * 3\n' }),
    ]);
    expect(lines(ada.stdout)).toEqual(['Hello, Ada', '2', 'Session ended']);
    expect(lines(bob.stdout)).toEqual(['Hello, Bob', '6']);
    expect([ada.code, bob.code]).toEqual([0, 0]);
    await expect.poll(() => server.proc.stderr(), { timeout: 5000 }).toMatch(/"Bob": connection closed \(remote\) without q/);
  });

  it('checks the request format on the server too: a raw client gets ERROR lines (\\n and \\r\\n)', TIMEOUT, async () => {
    const peer = await connectRawTcp(server.port);
    peer.write('nc user\r\n5 x 5\n1e5 + 1\r\n7 % 3\nq\r\n');
    await peer.closed();
    expect(peer.text()).toBe('Hello, nc user\nERROR invalid expression\nERROR invalid expression\n1\nSession ended\n');
  });

  it('answers a lab client that sends each message without a newline and waits', TIMEOUT, async () => {
    const peer = await connectRawTcp(server.port);
    peer.write('Lab');
    expect(await peer.waitForLines(1, 5000)).toEqual(['Hello, Lab']);
    peer.write('3 - -4');
    expect(await peer.waitForLines(2, 5000)).toEqual(['Hello, Lab', '7']);
    peer.write('q');
    await peer.closed();
    expect(peer.text()).toBe('Hello, Lab\n7\nSession ended\n');
  });

  it('keeps stdout to the one startup line and stops with exit 0 on SIGTERM and SIGINT', TIMEOUT, async () => {
    expect(lines(server.proc.stdout())).toEqual([`calculator listening on tcp://127.0.0.1:${server.port}`]);
    expect(await server.proc.stop('SIGTERM')).toBe(0);
    const other = await startExerciseServer(MAIN, 'calculator', 'tcp');
    expect(await other.proc.stop('SIGINT')).toBe(0);
  });

  cliContractTests({ main: MAIN, exercise: 'calculator', transport: 'tcp', defaultPort: DEFAULT_PORT });
});
