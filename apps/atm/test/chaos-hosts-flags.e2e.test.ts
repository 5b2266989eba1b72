/**
 * The chaos run's two-host flags refuse what cannot work, with one error line and exit 1,
 * before starting anything (no root needed: every case fails in argument checking).
 */
import { fileURLToPath } from 'node:url';
import { runTs } from '@netlab/exercise-kit/testing';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

describe('atm chaos --direct, --server-netns, --server-host', () => {
  it('refuses --direct with a loss of its own: the network supplies the loss', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['chaos', '--direct', '--loss', '20%', '--clients', '1', '--operations', '1', '--kills', '0']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: --direct takes its loss from the network (e.g. nftables on the link): --loss must be 0, not 0.2\n');
  });

  it('refuses a namespace name ip would not take', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['chaos', '--server-netns', 'lab a;rm']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: invalid --server-netns "lab a;rm": expected letters, digits/);
  });

  it('refuses --server-host and --server-netns with --host (a running server is not started)', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['chaos', '--host', '127.0.0.1', '--port', '7110', '--server-host', '10.0.0.1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: --server-host and --server-netns start servers: they do not go with --host (a running server)\n');
  });

  it('runs with --direct on loopback, where nothing is lost, and says so in the summary', { timeout: 150_000 }, async () => {
    const result = await runTs(MAIN, ['chaos', '--direct', '--clients', '2', '--operations', '400', '--kills', '1', '--seed', '5'], { timeoutMs: 140_000 });
    expect(result.stdout).toMatch(/loss injected\s+none by netlab: ATMs talk to 127\.0\.0\.1 straight, the network loses/);
    expect(result.stdout).toMatch(/^PASS: nothing applied twice/m);
    expect(result.stdout).not.toContain('fault proxy counters');
    expect(result.code).toBe(0);
  });
});
