import { fileURLToPath } from 'node:url';
import { cliContractTests, type ExerciseServerProcess, lines, runTs, silentUdpPort, spawnTs, startExerciseServer, udpExchange } from '@netlab/exercise-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MESSAGE, DEFAULT_PORT } from '../src/command.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

describe('netlab udp-hello (real processes)', () => {
  let server: ExerciseServerProcess;
  beforeAll(async () => {
    server = await startExerciseServer(MAIN, 'udp-hello', 'udp');
  });
  afterAll(async () => {
    await server.proc.stop('SIGKILL');
  });

  it('sends the default joke when given nothing, prints the reply and the server address', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['client', '--port', String(server.port)]);
    expect(result).toEqual({ code: 0, stdout: `Ok (from 127.0.0.1:${server.port})\n`, stderr: '' });
    const logged = /^udp-hello: request from 127\.0\.0\.1:\d+$/m;
    for (const deadline = Date.now() + 5000; !logged.test(server.proc.stderr()) && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(server.proc.stderr()).toMatch(logged);
  });

  it('sends the text given on the command line, or one datagram per piped line', TIMEOUT, async () => {
    const [given, piped] = await Promise.all([
      runTs(MAIN, ['client', '--port', String(server.port), 'hello', 'there']),
      runTs(MAIN, ['client', '--port', String(server.port)], { input: 'one\ntwo\r\nthree\n' }),
    ]);
    expect(given.code).toBe(0);
    expect(lines(given.stdout)).toEqual([`Ok (from 127.0.0.1:${server.port})`]);
    expect(piped.code).toBe(0);
    expect(lines(piped.stdout)).toEqual(Array.from({ length: 3 }, () => `Ok (from 127.0.0.1:${server.port})`));
  });

  it('answers raw datagrams like nc -u sends them, with and without a newline', TIMEOUT, async () => {
    expect(await udpExchange(server.port, 'hello from nc\n')).toBe('Ok');
    expect(await udpExchange(server.port, DEFAULT_MESSAGE)).toBe('Ok');
    expect(await udpExchange(server.port, Buffer.from([0xff, 0xfe]))).toBe('Ok');
  });

  it('retries an unanswered message and exits non-zero with one error line when nothing answers', TIMEOUT, async () => {
    const silent = await silentUdpPort();
    try {
      const result = await runTs(MAIN, ['client', '--port', String(silent.port), '--timeout', '50', '--retries', '2', 'anyone?']);
      expect(result.code).not.toBe(0);
      expect(silent.received()).toBe(3);
      expect(result.stderr).toMatch(/^lost: no reply to "anyone\?"/m);
      expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toEqual([
        `error: no reply from 127.0.0.1:${silent.port} to any of 1 request`,
      ]);
    } finally {
      await silent.close();
    }
  });

  it('logs a rejected datagram once, naming the peer once and the reason', TIMEOUT, async () => {
    expect(await udpExchange(server.port, Buffer.alloc(1300, 0x61))).toBe('Ok');
    const logged = /^udp-hello: malformed datagram from 127\.0\.0\.1:\d+: datagram of 1300 bytes exceeds the limit of 1200/m;
    for (const deadline = Date.now() + 5000; !logged.test(server.proc.stderr()) && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const line = server.proc.stderr().split('\n').find((l) => l.includes('1300 bytes')) ?? '';
    expect(line).toMatch(logged);
    expect(line.match(/from /g)).toHaveLength(1);
  });

  it('logs each payload received and sent with --verbose', TIMEOUT, async () => {
    const verbose = await startExerciseServer(MAIN, 'udp-hello', 'udp', ['--verbose']);
    try {
      expect(await udpExchange(verbose.port, 'tab\there')).toBe('Ok');
      for (const deadline = Date.now() + 5000; !verbose.proc.stderr().includes('sent "Ok"') && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(verbose.proc.stderr()).toMatch(/^udp-hello: received "tab\\there" from 127\.0\.0\.1:\d+$/m);
      expect(verbose.proc.stderr()).toMatch(/^udp-hello: sent "Ok" to 127\.0\.0\.1:\d+$/m);
    } finally {
      await verbose.proc.stop('SIGTERM');
    }
  });

  it('goes on after the server went away: the rest are lost, exit 0', TIMEOUT, async () => {
    const doomed = await startExerciseServer(MAIN, 'udp-hello', 'udp');
    const client = spawnTs(MAIN, ['client', '--port', String(doomed.port), '--timeout', '100ms']);
    try {
      client.child.stdin.write('first\n');
      await client.waitForLine(/^Ok \(from /);
      expect(await doomed.proc.stop('SIGTERM')).toBe(0);
      client.child.stdin.end('second\n');
      expect(await client.exited()).toBe(0);
      expect(lines(client.stdout())).toEqual([`Ok (from 127.0.0.1:${doomed.port})`]);
      expect(client.stderr()).toMatch(/^lost: no reply to "second": no server at 127\.0\.0\.1:\d+ any more \(port unreachable\)$/m);
    } finally {
      await client.stop('SIGKILL');
      await doomed.proc.stop('SIGKILL');
    }
  });

  it('keeps stdout to the one startup line and stops with exit 0 on SIGTERM', TIMEOUT, async () => {
    expect(lines(server.proc.stdout())).toEqual([`udp-hello listening on udp://127.0.0.1:${server.port}`]);
    expect(await server.proc.stop('SIGTERM')).toBe(0);
  });

  cliContractTests({ main: MAIN, exercise: 'udp-hello', transport: 'udp', defaultPort: DEFAULT_PORT });
});
