import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('README example of the client link', () => {
  it('calls a UDP server through createClientLink and exits', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', 'examples', 'link-udp.ts')], {
      timeout: 30_000,
    });
    expect(stdout).toContain('{ total: 2 }');
    expect(stdout).toContain('{ total: 5 }');
    expect(stdout).toContain('{ requests: 2, replies: 2 }');
  });
});
