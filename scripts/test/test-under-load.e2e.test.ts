/**
 * scripts/test-under-load.sh, run for real with a small command in place of `pnpm test`
 * (NETLAB_LOAD_COMMAND): the runs and their results, the busy loops beside them, and that the
 * loops are gone when the script ends, after a failed run and after SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, '..', 'test-under-load.sh');
const dirs: string[] = [];
const started: ChildProcess[] = [];
afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

function start(args: readonly string[], env: Record<string, string>): Run {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-load-'));
  dirs.push(dir);
  const child = spawn('bash', [script, ...args], { env: { ...process.env, NETLAB_LOAD_DIR: dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => { resolve(code); }));
  return { child, dir, output: () => output, exited };
}

/** The busy loops' PIDs, from the summary's header line. */
function busyPids(summary: string): number[] {
  const match = /busy loops: \d+ \(PIDs ([\d ]+)\)/.exec(summary);
  return (match?.[1] ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('scripts/test-under-load.sh', () => {
  it('runs the command N times beside two busy loops, records each result and duration, and ends the loops', async () => {
    // Each run lists the script's children (the busy loops among them) and fails on run 2.
    const run = start(['3'], { NETLAB_LOAD_COMMAND: 'ps -o args= --ppid "$PPID" > "$NETLAB_LOAD_DIR/children-$NETLAB_LOAD_RUN"; test "$NETLAB_LOAD_RUN" -ne 2' });
    expect(await run.exited).toBe(1);
    const summary = readFileSync(join(run.dir, 'summary.txt'), 'utf8');
    expect(summary).toContain('summary: 2 of 3 passed under 2 busy loop(s)');
    expect(summary).toMatch(/run 1: pass in \d+\.\ds/);
    expect(summary).toMatch(/run 2: FAIL \(exit 1\) in \d+\.\ds/);
    expect(summary).toMatch(/run 3: pass in \d+\.\ds/);
    for (const n of [1, 2, 3]) {
      const children = readFileSync(join(run.dir, `children-${String(n)}`), 'utf8');
      expect(children.split('\n').filter((line) => line.includes('for(;;){}'))).toHaveLength(2);
    }
    const pids = busyPids(summary);
    expect(pids).toHaveLength(2);
    expect(pids.filter(isRunning)).toEqual([]);
  });

  it('exits 0 when every run passes, with the number of busy loops asked for', async () => {
    const run = start([], { NETLAB_LOAD_COMMAND: 'true', NETLAB_LOAD_BUSY: '1' });
    expect(await run.exited).toBe(0);
    const summary = readFileSync(join(run.dir, 'summary.txt'), 'utf8');
    expect(summary).toContain('summary: 1 of 1 passed under 1 busy loop(s)');
    expect(busyPids(summary).filter(isRunning)).toEqual([]);
  });

  it('on SIGTERM stops the run in progress and the busy loops, and exits 143', async () => {
    const run = start(['2'], { NETLAB_LOAD_COMMAND: 'echo $$ > "$NETLAB_LOAD_DIR/pid.tmp" && mv "$NETLAB_LOAD_DIR/pid.tmp" "$NETLAB_LOAD_DIR/run.pid"; exec sleep 300', NETLAB_LOAD_BUSY: '1' });
    // The run has started once it wrote its PID (renamed into place, so it is whole when seen).
    await new Promise<void>((resolve, reject) => {
      const watcher = watch(run.dir, () => {
        if (existsSync(join(run.dir, 'run.pid'))) done();
      });
      const timer = setTimeout(() => { watcher.close(); reject(new Error(`no run started: ${run.output()}`)); }, 30_000);
      function done(): void {
        clearTimeout(timer);
        watcher.close();
        resolve();
      }
      if (existsSync(join(run.dir, 'run.pid'))) done();
    });
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(run.output()).toContain('terminated: stopping the run and the busy loops');
    const summary = readFileSync(join(run.dir, 'summary.txt'), 'utf8');
    expect(busyPids(summary)).toHaveLength(1);
    expect(busyPids(summary).filter(isRunning)).toEqual([]);
    const runPid = Number(readFileSync(join(run.dir, 'run.pid'), 'utf8'));
    expect(isRunning(runPid)).toBe(false);
  });

  it('refuses a bad run count with exit 2 and a usage line', async () => {
    for (const args of [['0'], ['many'], ['101'], ['1', '2']]) {
      const run = start(args, { NETLAB_LOAD_COMMAND: 'true' });
      expect(await run.exited).toBe(2);
      expect(run.output()).toContain('usage: scripts/test-under-load.sh [RUNS]');
    }
  });
});
