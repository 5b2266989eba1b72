import { fileURLToPath } from 'node:url';
import { cliContractTests, connectRawTcp, type ExerciseServerProcess, lines, runTs, startExerciseServer } from '@netlab/exercise-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../src/command.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

describe('netlab greeting (real processes)', () => {
  let server: ExerciseServerProcess;
  beforeAll(async () => {
    server = await startExerciseServer(MAIN, 'greeting', 'tcp');
  });
  afterAll(async () => {
    await server.proc.stop('SIGKILL');
  });

  it('client prints the greeting and exits 0 when the server hangs up', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['client', '--port', String(server.port)]);
    expect(result).toEqual({ code: 0, stdout: 'Thank you for connecting\n', stderr: '' });
  });

  it('greets a raw nc-style peer with one \\n-terminated line, then closes', TIMEOUT, async () => {
    const peer = await connectRawTcp(server.port);
    await peer.closed();
    expect(peer.text()).toBe('Thank you for connecting\n');
  });

  it('greets a lab client that sends a message without a newline, then closes', TIMEOUT, async () => {
    const peer = await connectRawTcp(server.port);
    peer.write('hi');
    await peer.closed();
    expect(peer.text()).toBe('Thank you for connecting\n');
  });

  it('logs each connection on stderr; stdout has only the startup line', TIMEOUT, () => {
    expect(server.proc.stderr().match(/^greeting: connection from 127\.0\.0\.1:\d+$/gm)?.length).toBeGreaterThanOrEqual(3);
    expect(lines(server.proc.stdout())).toEqual([`greeting listening on tcp://127.0.0.1:${server.port}`]);
  });

  it('stops cleanly with exit 0 on SIGTERM', TIMEOUT, async () => {
    expect(await server.proc.stop('SIGTERM')).toBe(0);
  });

  cliContractTests({ main: MAIN, exercise: 'greeting', transport: 'tcp', defaultPort: DEFAULT_PORT });
});
