/**
 * `netlab … | head -1`: every command, given a stdout whose reader has already gone, exits
 * quietly with status 0: no stack trace, no `Unhandled 'error' event`, nothing on stderr but
 * the command's own log lines. Each case closes its end of the stdout pipe before the command
 * writes anything, so the first write fails with EPIPE.
 *
 * Cases: `--help` of every command in the tree (walked from the real program, so a command
 * added later is covered without editing this file), `--version`, and real runs that write a lot
 * or keep running: servers (their listening line), clients against real servers, a long random
 * UDP run, the tour.
 */
import { spawn } from 'node:child_process';
import type { Command } from '@netlab/cli-kit';
import { nodeArgs, programEntry, startServerProcess, type StartedServer } from '@netlab/exercise-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgram } from '../src/program.js';

const ENTRY = programEntry(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

interface ClosedPipeRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs `netlab ...args` with its stdout pipe already closed at our end; bounded by the test timeout. */
function runIntoClosedPipe(args: readonly string[], input = ''): Promise<ClosedPipeRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeArgs(ENTRY, args), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('exit', (code, signal) => {
      resolve({ code, signal, stderr });
    });
  });
}

function expectQuietExit(run: ClosedPipeRun): void {
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/Unhandled|EPIPE|node:events|Node\.js v/);
  expect(run.stderr).not.toMatch(/^error:/m);
  expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
}

/** Every command path of the program: ['echo'], ['echo', 'server'], …, ['demo']. */
function commandPaths(command: Command, prefix: readonly string[] = []): string[][] {
  return command.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()];
    return [path, ...commandPaths(sub, path)];
  });
}

describe('netlab writing into a closed pipe', () => {
  const paths = commandPaths(createProgram()).filter((path) => path.at(-1) !== 'help');

  it(`exits 0 quietly for --help of every command (${paths.length} commands) and for --version`, { timeout: 300_000 }, async () => {
    expect(paths.length).toBeGreaterThan(20);
    const cases = [['--help'], ['--version'], ...paths.map((path) => [...path, '--help'])];
    // A few at a time: enough to be quick, few enough for a loaded 2-core machine.
    for (let i = 0; i < cases.length; i += 4) {
      const runs = await Promise.all(cases.slice(i, i + 4).map((args) => runIntoClosedPipe(args).then((run) => ({ args, run }))));
      for (const { args, run } of runs) {
        expect(run.stderr, args.join(' ')).not.toMatch(/^\s+at /m);
        expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
      }
    }
  });

  describe('real runs', () => {
    const servers = new Map<string, StartedServer>();
    beforeAll(async () => {
      for (const exercise of ['greeting', 'echo', 'text-case', 'prime-palindrome', 'knock-knock', 'udp-hello', 'udp-datetime', 'calculator', 'chat']) {
        servers.set(exercise, await startServerProcess(ENTRY, [exercise, 'server', '--port', '0']));
      }
    }, 120_000);
    afterAll(async () => {
      await Promise.all([...servers.values()].map((server) => server.process.stop('SIGTERM')));
    });
    const port = (exercise: string): string => String(servers.get(exercise)?.port ?? 0);

    it('a server whose listening line cannot be written stops cleanly, exit 0', TIMEOUT, async () => {
      const run = await runIntoClosedPipe(['echo', 'server', '--port', '0']);
      expect(run.stderr).toMatch(/^echo: SIGPIPE, stopping$/m);
      expectQuietExit(run);
    });

    const clients: readonly (readonly [string, readonly string[], string])[] = [
      ['greeting', [], ''],
      ['echo', [], 'hello\nbye\n'],
      ['text-case', [], 'straße\n'],
      ['prime-palindrome', [], '1 prime\n7 prime\n'],
      ['knock-knock', [], "Who's there?\nTurnip who?\nn\n"],
      ['udp-hello', ['one', 'datagram'], ''],
      ['udp-datetime', ['--count', '50', '--interval', '1-2ms', '--seed', '1'], ''],
      ['udp-datetime', [], 'SEND_DATE\nSEND_TIME\n'],
      ['calculator', [], 'Ada\n1 + 1\nq\n'],
      ['chat', ['--name', 'piper', '--linger', '50ms'], 'hello room\n'],
    ];
    for (const [exercise, args, input] of clients) {
      it(`${exercise} client ${args.join(' ')} exits 0 quietly`, TIMEOUT, async () => {
        expectQuietExit(await runIntoClosedPipe([exercise, 'client', '--port', port(exercise), ...args], input));
      });
    }

    it('the tour (demo --only codec,greeting) exits 0 quietly', TIMEOUT, async () => {
      expectQuietExit(await runIntoClosedPipe(['demo', '--only', 'codec,greeting']));
    });
  });
});
