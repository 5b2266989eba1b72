/**
 * The documented in-clone command, `./netlab …` (README): the process started *is* netlab (the
 * launcher execs node), so it prints only netlab's own output, and SIGTERM / SIGINT sent to that
 * very PID stop a server with exit 0, leaving nothing running and the port free.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LAUNCHER = fileURLToPath(new URL('../../../netlab', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

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

/** PIDs whose parent is `pid` (none, when the launcher exec'd node instead of forking it). */
function childrenOf(pid: number): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((s) => s.trim()).filter(Boolean);
  } catch {
    return []; // ps exits 1 when it lists nothing
  }
}

describe('./netlab, the launcher in the clone', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`is the node process itself: ${signal} to its PID stops the server with exit 0 and frees the port`, TIMEOUT, async () => {
      const child = spawn(LAUNCHER, ['echo', 'server', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      let stdout = '';
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.on('exit', (code, sig) => {
          resolve({ code, signal: sig });
        });
      });
      try {
        const port = await new Promise<number>((resolve, reject) => {
          const timer = setTimeout(() => {
            reject(new Error(`no listening line within 30 s: ${stdout}`));
          }, 30_000);
          child.stdout.setEncoding('utf8').on('data', (text: string) => {
            stdout += text;
            const match = /^echo listening on tcp:\/\/127\.0\.0\.1:(\d+)$/m.exec(stdout);
            if (match !== null) {
              clearTimeout(timer);
              resolve(Number(match[1]));
            }
          });
        });
        const pid = child.pid ?? -1;
        expect(childrenOf(pid)).toEqual([]);
        expect(execFileSync('ps', ['-o', 'comm=', '-p', String(pid)], { encoding: 'utf8' }).trim()).toBe('node');
        child.kill(signal);
        expect(await exited).toEqual({ code: 0, signal: null });
        expect(stdout).toBe(`echo listening on tcp://127.0.0.1:${port}\n`);
        expect(await portIsFree(port)).toBe(true);
      } finally {
        child.kill('SIGKILL');
      }
    });
  }

  it('prints only netlab\'s output: --version is one line on stdout, nothing on stderr', TIMEOUT, () => {
    const out = execFileSync(LAUNCHER, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toMatch(/^netlab \d+\.\d+\.\d+ \(Node\.js v\d+\.\d+\.\d+, \w+ \w+\)\n$/);
  });

  it('works from any directory, through a symlink too', TIMEOUT, () => {
    const tmp = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    try {
      execFileSync('ln', ['-s', LAUNCHER, `${tmp}/netlab`]);
      const out = execFileSync(`${tmp}/netlab`, ['echo', '--help'], { cwd: tmp, encoding: 'utf8' });
      expect(out).toContain('Usage: netlab echo');
    } finally {
      execFileSync('rm', ['-rf', tmp]);
    }
  });
});
