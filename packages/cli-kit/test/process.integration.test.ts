import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runTs, startServerProcess } from '../src/process.js';

const tiny = fileURLToPath(new URL('./fixtures/tiny-cli.ts', import.meta.url));

describe('CLI behaviour through real processes', () => {
  it('starts a server, parses its listening line and stops it with SIGTERM, exit 0', async () => {
    const server = await startServerProcess(tiny, ['serve', '--port', '4567']);
    expect(server).toMatchObject({ transport: 'tcp', host: '127.0.0.1', port: 4567, url: 'tcp://127.0.0.1:4567' });
    expect(await server.process.stop('SIGTERM')).toBe(0);
    expect(server.process.stdout()).toContain('stopped cleanly');
  });

  it('prints one error line for a bad flag value, with a non-zero exit and no stack', async () => {
    const result = await runTs(tiny, ['serve', '--port', 'nope']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('invalid port "nope"');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints a failure as one line with exit 1, and hides internal stacks', async () => {
    const failed = await runTs(tiny, ['fail']);
    expect(failed).toMatchObject({ code: 1, stderr: 'error: no server at 127.0.0.1:1\n' });
    const crashed = await runTs(tiny, ['crash']);
    expect(crashed.code).toBe(1);
    expect(crashed.stderr).toBe('error: internal detail\n');
  });

  it('reads piped stdin line by line', async () => {
    const result = await runTs(tiny, ['echo'], { input: 'a\nb\r\nc' });
    expect(result).toMatchObject({ code: 0, stdout: 'A\nB\nC\n' });
  });

  it('exits 0 on --help', async () => {
    const result = await runTs(tiny, ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: tiny');
  });
});
