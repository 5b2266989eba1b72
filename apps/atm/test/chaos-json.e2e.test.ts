/** `atm chaos --json`: one JSON object on stdout, the exit status of the run, other lines on stderr. */
import { join } from 'node:path';
import { runTs } from '@netlab/exercise-kit/testing';
import { describe, expect, it } from 'vitest';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

describe('atm chaos --json', () => {
  it('prints one JSON object with the checks and counters, exit 0 when every check passed', { timeout: 170_000 }, async () => {
    const result = await runTs(MAIN, ['chaos', '--clients', '2', '--operations', '6', '--kills', '0', '--loss', '0', '--seed', '12', '--json'], { timeoutMs: 160_000 });
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0] ?? '') as { passed: boolean; seed: number; operations: { done: number }; kills: number; checks: { name: string; ok: boolean }[] };
    expect(report).toMatchObject({ passed: true, seed: 12, kills: 0, operations: { done: 12 } });
    expect(report.checks.map((c) => c.name)).toContain('books balance');
    expect(report.checks.every((c) => c.ok)).toBe(true);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('atm chaos: seed 12');
  });
});
