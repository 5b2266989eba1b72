import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const example = fileURLToPath(new URL('../examples/tcp-lines.ts', import.meta.url));
const readme = fileURLToPath(new URL('../README.md', import.meta.url));

describe('the README example', () => {
  it('is the example file, verbatim', () => {
    expect(readFileSync(readme, 'utf8')).toContain(readFileSync(example, 'utf8').trim());
  });

  it('frames a real TCP socket and prints the upper-cased lines', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', example], { timeout: 15_000 });
    expect(stdout).toBe('reply: GRÜSS DICH\nreply: BYE\n');
  });
});
