/**
 * Running the real tshark on files netlab wrote. Suites that need it skip loudly when it is
 * missing (CI installs the Debian package, see .ci/run).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const HAS_TSHARK = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
/** Why tshark suites are skipped, printed once per suite. */
export const NO_TSHARK = 'tshark is not installed (apt-get install -y tshark): skipping the checks with the real tool';
export const DISSECTOR = fileURLToPath(new URL('../wireshark/netlab.lua', import.meta.url));

/** tshark prints this on stderr whenever it runs as root; it is not a warning about the file. */
const ROOT_NOTICE = /^Running as user "root" and group "root"\. This could be dangerous\.\s*$/;

export interface TsharkResult {
  readonly stdout: string;
  /** stderr without the root notice: empty when tshark had nothing to complain about. */
  readonly stderr: string;
  readonly status: number | null;
}

export function tshark(args: readonly string[], timeoutMs = 30_000): TsharkResult {
  const result = spawnSync('tshark', args, { encoding: 'utf8', timeout: timeoutMs });
  const stderr = result.stderr
    .split('\n')
    .filter((line) => line.trim() !== '' && !ROOT_NOTICE.test(line))
    .join('\n');
  return { stdout: result.stdout, stderr, status: result.status };
}

/** A temporary directory for capture files, removed by the returned function. */
export function tempDir(): { dir: string; file(name: string, bytes?: Uint8Array | string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-trace-'));
  return {
    dir,
    file(name, bytes) {
      const path = join(dir, name);
      if (bytes !== undefined) writeFileSync(path, bytes);
      return path;
    },
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The payload bytes of each direction of TCP stream `index`, from `-z follow,tcp,raw`. */
export function followRaw(file: string, index: number): { client: string; server: string } {
  const { stdout } = tshark(['-r', file, '-q', '-z', `follow,tcp,raw,${index}`]);
  let client = '';
  let server = '';
  for (const line of stdout.split('\n')) {
    if (/^\t[0-9a-f]+$/.test(line)) server += line.trim();
    else if (/^[0-9a-f]+$/.test(line)) client += line;
  }
  return { client, server };
}
