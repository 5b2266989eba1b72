import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('README example', () => {
  it('withdraws over real TCP and prints the committed reply', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'examples', 'tcp-sqlite.ts')], {
      timeout: 30_000,
    });
    expect(stdout).toContain('{ balance: 7500, dispensed: 2500 }');
    expect(stdout).toContain('fresh: 1');
  });
});
