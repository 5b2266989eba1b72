import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTs, spawnTs } from '@netlab/exercise-kit/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { writeBuggyEcho } from '../src/buggy-echo.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const NETLAB = fileURLToPath(new URL('../../cli/src/main.ts', import.meta.url));
const ECHO = fileURLToPath(new URL('../../echo/src/main.ts', import.meta.url));
const buggyEcho = writeBuggyEcho();
afterAll(() => {
  buggyEcho.remove();
});
const BUGGY = buggyEcho.path;
const NODE = `"${process.execPath}"`;
const ECHO_CMD = `${NODE} --import tsx "${ECHO}" server --port {port}`;
const BUGGY_CMD = `${NODE} "${BUGGY}" {port}`;
const TIMEOUT = { timeout: 120_000 };
const dir = mkdtempSync(join(tmpdir(), 'netlab-check-cli-'));

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('error:'));
}

describe('netlab check (real processes)', () => {
  it('exits 0 when every case passes and prints the table, the score and the seed', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['echo', '--server-cmd', ECHO_CMD, '--only', 'echo.basic', '--seed', '11'], { timeoutMs: 100_000 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^✓ echo\.basic\.line +1\/1 {2}echoes a line unchanged$/mu);
    expect(result.stdout).toContain('score 6/6: 6 passed, 0 failed (seed 11; replay with --seed 11)');
  });

  it('exits 1 when a case fails, naming what was sent, expected and received; the same seed gives the same report', TIMEOUT, async () => {
    const args = ['echo', '--server-cmd', BUGGY_CMD, '--only', 'echo.basic.line,echo.framing.one-byte-segments', '--seed', '5', '--format', 'json'];
    const [first, second] = await Promise.all([runTs(MAIN, args, { timeoutMs: 100_000 }), runTs(MAIN, args, { timeoutMs: 100_000 })]);
    expect(first.code).toBe(1);
    const report = JSON.parse(first.stdout) as { seed: number; passed: number; failed: number; cases: { id: string; status: string; message: string }[] };
    expect(report).toMatchObject({ seed: 5, passed: 1, failed: 1 });
    expect(report.cases[1]).toMatchObject({ id: 'echo.framing.one-byte-segments', status: 'fail' });
    expect(report.cases[1]?.message).toMatch(/^client: sent ".+\\n"; expected ".+"; got "."$/u);
    const strip = (text: string): unknown => (JSON.parse(text) as { cases: { message: string; durationMs: number }[] }).cases.map((c) => c.message);
    expect(strip(second.stdout)).toEqual(strip(first.stdout));
  });

  it('writes JUnit to --output and says where on stdout', TIMEOUT, async () => {
    const file = join(dir, 'report.xml');
    const result = await runTs(MAIN, ['echo', '--server-cmd', BUGGY_CMD, '--only', 'echo.concurrency', '--format', 'junit', '--output', file, '--seed', '3'], { timeoutMs: 100_000 });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^netlab check echo: score 1\/2, 1 passed, 1 failed \(seed 3\); junit report in .+report\.xml$/mu);
    const xml = readFileSync(file, 'utf8');
    expect(xml).toContain('<testcase classname="echo.concurrency" name="echo.concurrency.idle-client"');
    expect(xml).toContain('<failure message=');
  });

  it('runs a teacher\'s suite file, and refuses a broken one naming the line (exit 2)', TIMEOUT, async () => {
    const good = join(dir, 'good.yaml');
    writeFileSync(good, 'exercise: my-echo\ntransport: tcp\ncases:\n  - id: hello\n    title: echoes hello\n    points: 3\n    steps:\n      - connect: a\n      - send: { to: a, text: "hello\\n" }\n      - expect: { from: a, line: "hello" }\n');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'exercise: my-echo\ntransport: tcp\ncases:\n  - id: hello\n    title: echoes hello\n    steps:\n      - conect: a\n');
    const [ok, broken] = await Promise.all([
      runTs(MAIN, ['--suite', good, '--server-cmd', BUGGY_CMD, '--seed', '1'], { timeoutMs: 100_000 }),
      runTs(MAIN, ['--suite', bad, '--server-cmd', BUGGY_CMD], { timeoutMs: 100_000 }),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('score 3/3');
    expect(broken.code).toBe(2);
    expect(errorLines(broken.stderr)).toEqual([`error: ${bad}:7:9: cases[0].steps[0].conect: unknown field (expected one of: connect, send, expect, pause, close)`]);
  });

  it('exits 2 with one error line for bad usage and for a target that never comes up', TIMEOUT, async () => {
    const runs = await Promise.all([
      runTs(MAIN, ['echo'], { timeoutMs: 60_000 }),
      runTs(MAIN, ['echo', '--server', '127.0.0.1:1', '--server-cmd', 'x'], { timeoutMs: 60_000 }),
      runTs(MAIN, ['nosuch', '--server', '127.0.0.1:7'], { timeoutMs: 60_000 }),
      runTs(MAIN, ['echo', '--bogus'], { timeoutMs: 60_000 }),
      runTs(MAIN, ['echo', '--server-cmd', 'exit 3'], { timeoutMs: 60_000 }),
      runTs(MAIN, ['echo', '--server-cmd', BUGGY_CMD, '--only', 'echo.nope'], { timeoutMs: 60_000 }),
      runTs(MAIN, ['echo', '--server-cmd', BUGGY_CMD, '--time-scale', '0'], { timeoutMs: 60_000 }),
      runTs(MAIN, ['atm', '--server', '127.0.0.1:7'], { timeoutMs: 60_000 }),
    ]);
    for (const result of runs) {
      expect(result.code).toBe(2);
      expect(errorLines(result.stderr)).toHaveLength(1);
      expect(result.stderr).not.toMatch(/^\s+at /mu);
    }
    expect(runs[0].stderr).toMatch(/give exactly one target/u);
    expect(runs[2].stderr).toMatch(/no server suite for "nosuch" \(server suites: greeting, echo/u);
    expect(runs[3].stderr).toMatch(/unknown option '--bogus'/u);
    expect(runs[4].stderr).toMatch(/the server command exited before listening on tcp:\/\/127\.0\.0\.1:\d+ \(exit code 3\)/u);
    expect(runs[5].stderr).toMatch(/no case "echo\.nope"/u);
    expect(runs[7].stderr).toMatch(/nothing listens on tcp:\/\/127\.0\.0\.1:7\b/u);
  });

  it('lists the cases of an exercise with --list, exit 0', TIMEOUT, async () => {
    const result = await runTs(MAIN, ['echo', '--list'], { timeoutMs: 60_000 });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^ {2}echo\.framing\.split-utf8 +1 {2}reassembles a UTF-8 character split across two segments$/mu);
  });

  it('runs as `netlab check` in the umbrella CLI, and its tour part grades the buggy echo server', TIMEOUT, async () => {
    const [list, usage, tour] = await Promise.all([
      runTs(NETLAB, ['check', 'udp-hello', '--list'], { timeoutMs: 60_000 }),
      runTs(NETLAB, ['check', 'echo', '--nope'], { timeoutMs: 60_000 }),
      runTs(NETLAB, ['demo', '--only', 'check'], { timeoutMs: 100_000 }),
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain('udp-hello client cases (--client-cmd):');
    expect(usage.code).toBe(2);
    expect(tour.code).toBe(0);
    expect(tour.stdout).toMatch(/✗ echo\.framing\.one-byte-segments/u);
    expect(tour.stdout).toMatch(/✗ echo\.concurrency\.idle-client/u);
    expect(tour.stdout).toContain('tour complete: 1 part ran');
  });

  it('kills the target process group on SIGINT', TIMEOUT, async () => {
    const pidFile = join(dir, 'sigint.pid');
    const spawner = fileURLToPath(new URL('../../../packages/check/test/fixtures/node/spawns-child.mjs', import.meta.url));
    const proc = spawnTs(MAIN, ['echo', '--server-cmd', `${NODE} "${spawner}" {port} "${pidFile}"`, '--only', 'echo.basic.line,echo.concurrency.idle-client']);
    const deadline = Date.now() + 30_000;
    let pid = 0;
    // The fixture writes its child's pid once it listens; there is no other signal to wait for.
    while (pid === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      try {
        pid = Number(readFileSync(pidFile, 'utf8'));
      } catch {
        pid = 0;
      }
    }
    expect(pid).toBeGreaterThan(0);
    proc.child.kill('SIGINT');
    expect(await proc.exited(20_000)).toBe(130);
    expect(proc.stderr()).toContain('every target process was killed');
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const gone = Date.now() + 5000;
    while (alive() && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive()).toBe(false);
  });
});
