import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const TINY = fileURLToPath(new URL('./fixtures/tiny-cli.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const TIMEOUT = { timeout: 60_000 };

interface Run {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exited: Promise<number>;
}

/** Runs the fixture through tsx; every wait below is bounded by the test timeout. */
function tiny(args: readonly string[], input?: string): Run {
  const child = spawn(process.execPath, ['--conditions=@netlab/source', '--import', TSX, TINY, ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
  child.stdin.end(input ?? '');
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve(code ?? (signal === null ? -1 : 128 + (signal === 'SIGTERM' ? 15 : signal === 'SIGINT' ? 2 : 9)));
    });
  });
  return { child, stdout: () => out, stderr: () => err, exited };
}

function firstLine(run: Run): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const end = run.stdout().indexOf('\n');
      if (end >= 0) resolve(run.stdout().slice(0, end));
    };
    run.child.stdout?.on('data', check);
    void run.exited.then(() => {
      reject(new Error(`exited before a line; stderr: ${run.stderr()}`));
    });
    check();
  });
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => {
      resolve(true);
    });
  });
}

describe('runCli and onShutdown in real processes', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops a listening server on ${signal} with exit 0, the port free afterwards`, TIMEOUT, async () => {
      const run = tiny(['serve', '--port', '0']);
      const line = await firstLine(run);
      const port = Number(/tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(line)?.[1]);
      expect(port).toBeGreaterThan(0);
      run.child.kill(signal);
      expect(await run.exited).toBe(0);
      expect(run.stdout()).toContain('stopped cleanly');
      expect(await portIsFree(port)).toBe(true);
    });
  }

  it('prints one error line for a bad flag value, with a non-zero exit and no stack', TIMEOUT, async () => {
    const run = tiny(['serve', '--port', 'nope']);
    expect(await run.exited).not.toBe(0);
    expect(run.stderr()).toContain('invalid port "nope"');
    expect(run.stderr().trim().split('\n')).toHaveLength(1);
    expect(run.stderr()).not.toMatch(/\n\s+at /);
  });

  it('prints a failure as one line with exit 1, and hides internal stacks', TIMEOUT, async () => {
    const failed = tiny(['fail']);
    expect(await failed.exited).toBe(1);
    expect(failed.stderr()).toBe('error: no server at 127.0.0.1:1\n');
    const crashed = tiny(['crash']);
    expect(await crashed.exited).toBe(1);
    expect(crashed.stderr()).toBe('error: internal detail\n');
  });

  it('reads piped stdin line by line', TIMEOUT, async () => {
    const run = tiny(['echo'], 'a\nb\r\nc');
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toBe('A\nB\nC\n');
  });

  it('exits 0 on --help, and shows a duration default as a user types it', TIMEOUT, async () => {
    const run = tiny(['wait-ms', '--help']);
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toContain('Usage: tiny wait-ms');
    expect(run.stdout()).toContain('(default: 90s)');
    const parsed = tiny(['wait-ms', '--for', '5min']);
    expect(await parsed.exited).toBe(0);
    expect(parsed.stdout()).toBe('300000\n');
  });

  it('prints the version with --version and -V, on the program and on a subcommand', TIMEOUT, async () => {
    for (const args of [['--version'], ['-V'], ['serve', '--version'], ['wait-ms', '-V']]) {
      const run = tiny(args);
      expect(await run.exited, args.join(' ')).toBe(0);
      expect(run.stdout()).toMatch(/^tiny 1\.2\.3 \(Node\.js v\d+\.\d+\.\d+, \w+ \w+\)\n$/);
    }
  });

  it('exits quietly with status 0 when stdout is a pipe closed early', TIMEOUT, async () => {
    const run = tiny(['flood']);
    // Read one chunk, then close our end of the pipe, as `| head -1` does.
    await new Promise<void>((resolve) => run.child.stdout?.once('data', () => { resolve(); }));
    run.child.stdout?.destroy();
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toBe('');
  });
});
