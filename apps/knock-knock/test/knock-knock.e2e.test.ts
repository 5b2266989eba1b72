import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliContractTests, connectRawTcp, type ExerciseServerProcess, lines, runTs, startExerciseServer } from '@netlab/exercise-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../src/command.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

describe('netlab knock-knock (real processes)', () => {
  let server: ExerciseServerProcess;
  const dir = mkdtempSync(join(tmpdir(), 'netlab-knock-'));
  beforeAll(async () => {
    server = await startExerciseServer(MAIN, 'knock-knock', 'tcp');
  });
  afterAll(async () => {
    await server.proc.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints the server first, then one reply per piped line, and ends when the server says Bye.', TIMEOUT, async () => {
    const input = ["Who's there?", 'Turnip who?', 'y', 'who is it?', 'Who’s there?', 'little old lady who?', 'n', 'never read'].join('\n');
    const result = await runTs(MAIN, ['client', '--port', String(server.port)], { input: `${input}\n` });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toEqual([
      'Knock! Knock!',
      'Turnip',
      "Turnip the heat, it's cold in here! Want another? (y/n)",
      'Knock! Knock!',
      `You're supposed to say "Who's there?"! Try again. Knock! Knock!`,
      'Little Old Lady',
      "I didn't know you could yodel! Want another? (y/n)",
      'Bye.',
    ]);
  });

  it('talks to nc/telnet and to a lab client that sends no newline; closes after Bye.', TIMEOUT, async () => {
    const peer = await connectRawTcp(server.port);
    expect(await peer.waitForLines(1)).toEqual(['Knock! Knock!']);
    peer.write("who's there?\r\n");
    expect(await peer.waitForLines(2)).toEqual(['Knock! Knock!', 'Turnip']);
    peer.write('Turnip who?'); // no newline: the quiet flush delivers it
    expect((await peer.waitForLines(3))[2]).toBe("Turnip the heat, it's cold in here! Want another? (y/n)");
    peer.write('n\n');
    await peer.closed();
    expect(peer.text().endsWith('Bye.\n')).toBe(true);
  });

  it('serves jokes from a --jokes file and refuses an invalid one with one error line', TIMEOUT, async () => {
    const good = join(dir, 'jokes.json');
    writeFileSync(good, JSON.stringify([{ clue: 'Boo', answer: "Don't cry, it's only a joke." }]));
    const custom = await startExerciseServer(MAIN, 'knock-knock', 'tcp', ['--jokes', good]);
    try {
      const result = await runTs(MAIN, ['client', '--port', String(custom.port)], { input: "Who's there?\nBoo who?\nn\n" });
      expect(lines(result.stdout)).toEqual(['Knock! Knock!', 'Boo', "Don't cry, it's only a joke. Want another? (y/n)", 'Bye.']);
    } finally {
      await custom.proc.stop('SIGKILL');
    }
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '[]');
    const refused = await runTs(MAIN, ['server', '--port', '0', '--jokes', bad]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr.split('\n').filter((line) => line.startsWith('error:'))).toEqual([expect.stringMatching(/^error: invalid --jokes/)]);
  });

  it('logs connections on stderr, one startup line on stdout, exit 0 on SIGTERM', TIMEOUT, async () => {
    expect(server.proc.stderr()).toMatch(/^knock-knock: connection from 127\.0\.0\.1:\d+$/m);
    expect(lines(server.proc.stdout())).toEqual([`knock-knock listening on tcp://127.0.0.1:${server.port}`]);
    expect(await server.proc.stop('SIGTERM')).toBe(0);
  });

  cliContractTests({ main: MAIN, exercise: 'knock-knock', transport: 'tcp', defaultPort: DEFAULT_PORT });
});
