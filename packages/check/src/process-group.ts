/**
 * Target processes run in their own process group (`detached`), so `kill -9` reaches the
 * shell, the interpreter and anything they started. Every group started here is remembered
 * until it exits, and `killAllTargets()` (called on SIGINT/SIGTERM and at exit by the CLI)
 * SIGKILLs whatever is left: a crashed or hung target never outlives `netlab check`.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const live = new Set<ChildProcess>();

/** Output kept per stream of a target: the last 64 KiB. */
export const DEFAULT_OUTPUT_TAIL_BYTES = 64 * 1024;

export interface GroupProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last {@link DEFAULT_OUTPUT_TAIL_BYTES} of stdout / stderr. */
  stdout(): string;
  stderr(): string;
  /** `undefined` while running, else `exit code 1` / `killed by SIGSEGV`. */
  exitDescription(): string | undefined;
  readonly exitCode: number | null | undefined;
  /** Resolves once the process has exited, or with false after `timeoutMs`. */
  waitExit(timeoutMs: number): Promise<boolean>;
  /** Sends `signal` to the whole group. */
  signalGroup(signal: NodeJS.Signals): void;
  /** SIGTERM to the group, then SIGKILL after `graceMs`; resolves once exited (bounded). */
  stop(graceMs: number): Promise<void>;
  /** Registers a listener for every stdout line. */
  onLine(listener: (line: string) => void): void;
}

function tailAppend(current: string, text: string): string {
  const joined = current + text;
  return joined.length > DEFAULT_OUTPUT_TAIL_BYTES ? joined.slice(joined.length - DEFAULT_OUTPUT_TAIL_BYTES) : joined;
}

/** How long `stop()` waits for the last member of a killed group to disappear, ms. */
export const GROUP_GONE_TIMEOUT_MS = 2000;

function groupExists(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once no process of group `pid` is left (a killed child is reaped by init), or after `timeoutMs`. */
async function waitGroupGone(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // There is no event for the end of processes that are not our children: poll, briefly.
  while (pid > 0 && groupExists(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** Runs `command` with `/bin/sh -c` in a new process group. */
export function spawnGroup(command: string, options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv; readonly stdin?: 'pipe' | 'ignore' } = {}): GroupProcess {
  const child = spawn('/bin/sh', ['-c', command], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  let partial = '';
  let exitCode: number | null | undefined;
  let exitSignal: NodeJS.Signals | null = null;
  const lineListeners: ((line: string) => void)[] = [];
  const exitWaiters: (() => void)[] = [];
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    out = tailAppend(out, text);
    partial += text;
    let newline = partial.indexOf('\n');
    while (newline !== -1) {
      const line = partial.slice(0, newline).replace(/\r$/u, '');
      partial = partial.slice(newline + 1);
      for (const listener of lineListeners) listener(line);
      newline = partial.indexOf('\n');
    }
    if (partial.length > DEFAULT_OUTPUT_TAIL_BYTES) partial = '';
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    err = tailAppend(err, text);
  });
  // A broken stdin pipe (the client exited before reading its input) is not our failure.
  child.stdin?.on('error', () => undefined);
  child.on('error', () => undefined);
  child.on('exit', (code, signal) => {
    exitCode = code;
    exitSignal = signal;
    live.delete(child);
    for (const waiter of exitWaiters.splice(0)) waiter();
  });
  const pid = child.pid ?? -1;
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (pid <= 0) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  const waitExit = (timeoutMs: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (exitCode !== undefined) {
        resolve(true);
        return;
      }
      const timer = setTimeout(() => {
        resolve(false);
      }, timeoutMs);
      exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  return {
    child,
    pid,
    stdout: () => out,
    stderr: () => err,
    get exitCode() {
      return exitCode;
    },
    exitDescription: () => {
      if (exitCode === undefined) return undefined;
      return exitSignal !== null ? `killed by ${exitSignal}` : `exit code ${String(exitCode)}`;
    },
    waitExit,
    signalGroup,
    async stop(graceMs) {
      if (exitCode === undefined) signalGroup('SIGTERM');
      if (!(await waitExit(graceMs))) {
        signalGroup('SIGKILL');
        await waitExit(5000);
      }
      // Whatever the shell left behind in the group goes too; wait (bounded) until it is gone.
      signalGroup('SIGKILL');
      await waitGroupGone(pid, GROUP_GONE_TIMEOUT_MS);
    },
    onLine: (listener) => {
      lineListeners.push(listener);
    },
  };
}

/** SIGKILLs every target process group still running (synchronous: safe in an exit handler). */
export function killAllTargets(): void {
  for (const child of live) {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  live.clear();
}

/** Process groups started and not yet exited. */
export function liveTargetCount(): number {
  return live.size;
}
