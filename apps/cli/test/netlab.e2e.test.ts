import { fileURLToPath } from 'node:url';
import { runTs, startServerProcess } from '@netlab/exercise-kit/testing';
import { describe, expect, it } from 'vitest';
import { EXERCISES } from '../src/exercises.js';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

describe('the netlab umbrella CLI', () => {
  it('lists every exercise command and the demo in --help', async () => {
    const result = await runTs(main, ['--help']);
    expect(result.code).toBe(0);
    for (const exercise of EXERCISES.filter((e) => e.command !== undefined)) {
      expect(result.stdout).toContain(exercise.name);
    }
    expect(result.stdout).toContain('demo');
  });

  it('runs an exercise through the umbrella: server startup line, client over a pipe, SIGTERM exit 0', async () => {
    const server = await startServerProcess(main, ['echo', 'server', '--port', '0']);
    try {
      expect(server.url).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
      const client = await runTs(main, ['echo', 'client', '--port', String(server.port)], { input: 'hello\nbye\n' });
      expect(client).toMatchObject({ code: 0, stdout: 'hello\nGoodbye\n' });
    } finally {
      expect(await server.process.stop('SIGTERM')).toBe(0);
    }
  });

  it('prints one error line and exits non-zero for an unknown command', async () => {
    const result = await runTs(main, ['no-such-exercise']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain("unknown command 'no-such-exercise'");
  });

  it('runs one part of the tour with --only', async () => {
    const result = await runTs(main, ['demo', '--only', 'codec']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"grüß dich"');
    expect(result.stdout).toContain('ERR_FRAME_TOO_LARGE');
    expect(result.stdout).toContain('tour complete: 1 part ran');
  });

  it('refuses an unknown --only part with one error line listing the parts, exit 1', async () => {
    const result = await runTs(main, ['demo', '--only', 'codec,udp']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: unknown part "udp" \(parts: codec, greeting, echo, .*udp-hello, udp-datetime.*\)\n$/);
  });

  it('lists the tour parts in demo --help', async () => {
    const result = await runTs(main, ['demo', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout.replace(/\s+/g, ' ')).toContain('codec, greeting, echo, text-case');
  });

  it('prints the version on the umbrella and on a subcommand', async () => {
    const [top, sub] = await Promise.all([runTs(main, ['-V']), runTs(main, ['udp-datetime', 'client', '--version'])]);
    expect(top).toMatchObject({ code: 0, stderr: '' });
    expect(top.stdout).toMatch(/^netlab 0\.1\.0 \(Node\.js v\d+\.\d+\.\d+, \w+ \w+\)\n$/);
    expect(sub.stdout).toBe(top.stdout);
  });

  it('shows every duration default in --help as a user types it, never a bare millisecond count', async () => {
    const help = await runTs(main, ['chat', 'server', '--help']);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('(default: 1h)');
  });
});
