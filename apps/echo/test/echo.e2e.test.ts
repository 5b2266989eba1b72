import { fileURLToPath } from 'node:url';
import { cliContractTests, connectRawTcp, type ExerciseServerProcess, lines, runTs, startExerciseServer } from '@netlab/exercise-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../src/command.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

describe('netlab echo (real processes)', () => {
  let server: ExerciseServerProcess;
  beforeAll(async () => {
    server = await startExerciseServer(MAIN, 'echo', 'tcp');
  });
  afterAll(async () => {
    await server.proc.stop('SIGKILL');
  });

  it('echoes piped lines one per line, answers bye with Goodbye and exits 0', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['client', '--port', String(server.port)], { input: 'hello\ngrüß dich 👋\n\nBYE\nnever sent\n' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('hello\ngrüß dich 👋\n\nGoodbye\n');
    expect(result.code).toBe(0);
  });

  it('serves several clients at once, each getting its own lines back', TIMEOUT, async () => {
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => runTs(MAIN, ['client', '--port', String(server.port)], { input: `client ${n}\nline two of ${n}\n` })),
    );
    results.forEach((result, i) => {
      expect(result.code).toBe(0);
      expect(lines(result.stdout)).toEqual([`client ${i + 1}`, `line two of ${i + 1}`]);
    });
  });

  it('talks to nc and telnet: lines ending \\n and \\r\\n, every reply ending \\n', TIMEOUT, async () => {
    const peer = await connectRawTcp(server.port);
    peer.write('from nc\nfrom telnet\r\n');
    expect(await peer.waitForLines(2)).toEqual(['from nc', 'from telnet']);
    peer.write('bye\r\n');
    await peer.closed();
    expect(peer.text()).toBe('from nc\nfrom telnet\nGoodbye\n');
  });

  it('answers a lab client that sends one message without a newline and waits', TIMEOUT, async () => {
    const peer = await connectRawTcp(server.port);
    peer.write('hello from a python lab client');
    expect(await peer.waitForLines(1, 5000)).toEqual(['hello from a python lab client']);
    expect(peer.text()).toBe('hello from a python lab client\n');
    peer.destroy();
  });

  it('logs each connection on stderr and keeps stdout to the one startup line', TIMEOUT, () => {
    expect(server.proc.stderr()).toMatch(/^echo: connection from 127\.0\.0\.1:\d+$/m);
    expect(server.proc.stderr()).toMatch(/^echo: 127\.0\.0\.1:\d+ closed \(/m);
    expect(lines(server.proc.stdout())).toEqual([`echo listening on tcp://127.0.0.1:${server.port}`]);
  });

  it('stops cleanly with exit 0 on SIGTERM and on SIGINT', TIMEOUT, async () => {
    expect(await server.proc.stop('SIGTERM')).toBe(0);
    const other = await startExerciseServer(MAIN, 'echo', 'tcp');
    expect(await other.proc.stop('SIGINT')).toBe(0);
  });

  cliContractTests({ main: MAIN, exercise: 'echo', transport: 'tcp', defaultPort: DEFAULT_PORT });
});
