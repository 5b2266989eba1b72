import { fileURLToPath } from 'node:url';
import { cliContractTests, connectRawTcp, type ExerciseServerProcess, lines, runTs, startExerciseServer } from '@netlab/exercise-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT, MAX_LINE_BYTES } from '../src/command.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

describe('netlab text-case (real processes)', () => {
  let upper: ExerciseServerProcess;
  let lower: ExerciseServerProcess;
  beforeAll(async () => {
    [upper, lower] = await Promise.all([startExerciseServer(MAIN, 'text-case', 'tcp'), startExerciseServer(MAIN, 'text-case', 'tcp', ['--to', 'lower'])]);
  });
  afterAll(async () => {
    await Promise.all([upper.proc.stop('SIGKILL'), lower.proc.stop('SIGKILL')]);
  });

  it('upper-cases piped lines with full Unicode mapping, one reply per line, exit 0', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['client', '--port', String(upper.port)], { input: 'Hello\nstraße\nﬁne\n' });
    expect(result).toEqual({ code: 0, stdout: 'HELLO\nSTRASSE\nFINE\n', stderr: '' });
  });

  it('lower-cases with --to lower, final sigma included', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['client', '--port', String(lower.port)], { input: 'HELLO World\nΟΔΟΣ\n' });
    expect(result).toEqual({ code: 0, stdout: 'hello world\nοδος\n', stderr: '' });
  });

  it('answers a line at the byte limit even when upper-casing triples it, and refuses one byte more', TIMEOUT, async () => {
    const atLimit = 'ΐ'.repeat(MAX_LINE_BYTES / 2); // 2 bytes each → 8192 bytes; upper case is 6 bytes each
    const result = await runTs(MAIN, ['client', '--port', String(upper.port)], { input: `${atLimit}\n` });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${atLimit.toUpperCase()}\n`);
    expect(Buffer.byteLength(atLimit.toUpperCase())).toBe(3 * MAX_LINE_BYTES);
    const peer = await connectRawTcp(upper.port);
    peer.write(`${'a'.repeat(MAX_LINE_BYTES + 1)}\n`);
    await peer.closed();
    expect(peer.text()).toBe('ERROR line too long\n');
  });

  it('never splits a multi-byte character cut across TCP segments', TIMEOUT, async () => {
    const peer = await connectRawTcp(upper.port);
    const bytes = Buffer.from('grüß\n');
    for (const cut of [bytes.subarray(0, 3), bytes.subarray(3, 5), bytes.subarray(5)]) {
      peer.write(cut);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await peer.waitForLines(1)).toEqual(['GRÜSS']);
    peer.destroy();
  });

  it('talks to nc/telnet (\\n and \\r\\n) and to a lab client that sends no newline', TIMEOUT, async () => {
    const nc = await connectRawTcp(upper.port);
    nc.write('one\ntwo\r\n');
    expect(await nc.waitForLines(2)).toEqual(['ONE', 'TWO']);
    nc.end();
    await nc.closed();
    expect(nc.text()).toBe('ONE\nTWO\n');
    const lab = await connectRawTcp(lower.port);
    lab.write('NO NEWLINE HERE');
    expect(await lab.waitForLines(1)).toEqual(['no newline here']);
    expect(lab.text()).toBe('no newline here\n');
    lab.destroy();
  });

  it('rejects an unknown --to with one error line', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['server', '--port', '0', '--to', 'title']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.split('\n').filter((line) => line.startsWith('error:'))).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  it('logs connections on stderr, one startup line on stdout, exit 0 on SIGTERM', TIMEOUT, async () => {
    expect(upper.proc.stderr()).toMatch(/^text-case: connection from 127\.0\.0\.1:\d+$/m);
    expect(lines(upper.proc.stdout())).toEqual([`text-case listening on tcp://127.0.0.1:${upper.port}`]);
    expect(await upper.proc.stop('SIGTERM')).toBe(0);
  });

  cliContractTests({ main: MAIN, exercise: 'text-case', transport: 'tcp', defaultPort: DEFAULT_PORT });
});
