import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CliError } from '@netlab/cli-kit';

/**
 * Helpers to run netlab CLIs as real child processes: the tour uses them to start servers and
 * clients, the ATM chaos run to start and kill its servers, end-to-end tests to drive the real
 * programs.
 *
 * What runs is a {@link CliTarget}: a script path, or a script with arguments in front
 * (`{ script: 'netlab.js', prefix: ['atm'] }` runs `netlab atm …`). A `.ts` script runs on
 * source, through tsx with the workspace's `@netlab/source` export condition (no build needed);
 * anything else (the built, bundled `netlab`) runs with plain node.
 */

/** The export condition under which workspace packages resolve to their TypeScript sources. */
export const SOURCE_CONDITION = '@netlab/source';

/** A program to start: a script, and arguments to put before the command's own. */
export interface CliEntry {
  /** Path of the script node runs. Required. */
  readonly script: string;
  /** Arguments before the command's own (`['atm']` when `script` is the umbrella `netlab`). Default none. */
  readonly prefix?: readonly string[];
}

/** A script path, or a {@link CliEntry}. */
export type CliTarget = string | CliEntry;

function toEntry(target: CliTarget): CliEntry {
  return typeof target === 'string' ? { script: target } : target;
}

/** The running program's own script (the built `netlab`, or a `.ts` main under tsx). */
function runningScript(): string {
  const script = process.argv[1] ?? '';
  try {
    return realpathSync(script);
  } catch {
    return script;
  }
}

/**
 * The program that runs `<exercise> …`: the app's own `main.ts` next to the calling module when
 * running on source (`mainUrl`, e.g. `new URL('./main.ts', import.meta.url)`), else, in the
 * bundled `netlab` where no such file exists, the running program with `exercise` in front.
 */
export function exerciseEntry(exercise: string, mainUrl: URL | string): CliEntry {
  const main = fileURLToPath(mainUrl);
  return existsSync(main) ? { script: main } : { script: runningScript(), prefix: [exercise] };
}

/** The umbrella program itself: `mainUrl` on source, else the running (bundled) program. */
export function programEntry(mainUrl: URL | string): CliEntry {
  const main = fileURLToPath(mainUrl);
  return existsSync(main) ? { script: main } : { script: runningScript() };
}

let tsxLoader: string | undefined;

/** Node arguments that run `target` with `args`: `[--conditions=… --import tsx] script ...prefix ...args`. */
export function nodeArgs(target: CliTarget, args: readonly string[] = []): string[] {
  const entry = toEntry(target);
  const loader: string[] = [];
  if (/\.[cm]?ts$/.test(entry.script)) {
    tsxLoader ??= pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    loader.push(`--conditions=${SOURCE_CONDITION}`, '--import', tsxLoader);
  }
  return [...loader, entry.script, ...(entry.prefix ?? []), ...args];
}

/** Node arguments that run a TypeScript entry point through tsx, on source. */
export function tsEntryArgs(entry: string): string[] {
  return nodeArgs(entry);
}

export interface SpawnOptions {
  /** Working directory. Default: the current one. */
  readonly cwd?: string;
  /** Extra environment variables (merged over `process.env`; NO_COLOR is set unless given). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Run inside this Linux network namespace (`ip netns exec NAME node …`; root only), e.g. a test
   * host of `@netlab/test-hosts`. `ip netns exec` execs node in place, so the pid (and a SIGKILL)
   * is node's own. Default: this process's namespace.
   */
  readonly netns?: string;
}

/** A running CLI process with its output collected. */
export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern`; rejects after `timeoutMs` or on exit. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or 128 + signal number style `null` → -1) once the process exits. */
  exited(timeoutMs?: number): Promise<number>;
  /** Sends `signal` (default SIGTERM) and waits for exit; SIGKILL after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
}

/** Spawns `target` with `args` (see {@link nodeArgs}); stdin, stdout and stderr are pipes. */
export function spawnCli(target: CliTarget, args: readonly string[], options: SpawnOptions = {}): CliProcess {
  const argv = nodeArgs(target, args);
  const child = spawn(options.netns === undefined ? process.execPath : 'ip', options.netns === undefined ? argv : ['netns', 'exec', options.netns, process.execPath, ...argv], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let exitCode: number | undefined;
  const exitWaiters: ((code: number) => void)[] = [];
  const lineWaiters = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
    for (const check of lineWaiters) check();
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    err += text;
  });
  child.on('exit', (code, signal) => {
    exitCode = code ?? (signal === null ? -1 : 128 + signalNumber(signal));
    for (const waiter of exitWaiters.splice(0)) waiter(exitCode);
    for (const check of lineWaiters) check();
  });
  const exited = (timeoutMs = 30_000): Promise<number> =>
    new Promise((resolve, reject) => {
      if (exitCode !== undefined) {
        resolve(exitCode);
        return;
      }
      const timer = setTimeout(() => {
        reject(new Error(`process ${child.pid ?? '?'} did not exit within ${timeoutMs} ms\nstderr: ${err}`));
      }, timeoutMs);
      exitWaiters.push((code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  return {
    child,
    pid: child.pid ?? -1,
    stdout: () => out,
    stderr: () => err,
    waitForLine(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          lineWaiters.delete(check);
          reject(new Error(`no line matching ${String(pattern)} within ${timeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
        }, timeoutMs);
        function check(): void {
          for (const line of out.split('\n')) {
            const match = pattern.exec(line);
            if (match !== null) {
              clearTimeout(timer);
              lineWaiters.delete(check);
              resolve(match);
              return;
            }
          }
          if (exitCode !== undefined) {
            clearTimeout(timer);
            lineWaiters.delete(check);
            reject(new Error(`process exited (${exitCode}) before printing ${String(pattern)}\nstdout: ${out}\nstderr: ${err}`));
          }
        }
        lineWaiters.add(check);
        check();
      });
    },
    exited,
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (exitCode !== undefined) return exitCode;
      child.kill(signal);
      try {
        return await exited(timeoutMs);
      } catch {
        child.kill('SIGKILL');
        return exited(5_000);
      }
    },
  };
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal] ?? 0;
}

export interface StartedServer {
  readonly process: CliProcess;
  /** `tcp://127.0.0.1:40123` as printed. */
  readonly url: string;
  readonly transport: 'tcp' | 'udp';
  readonly host: string;
  readonly port: number;
}

/**
 * Starts a server CLI and waits for its startup line `<name> listening on <tcp|udp>://HOST:PORT`.
 */
export async function startServerProcess(
  entry: CliTarget,
  args: readonly string[],
  options: SpawnOptions & { readonly timeoutMs?: number } = {},
): Promise<StartedServer> {
  const proc = spawnCli(entry, args, options);
  try {
    const match = await proc.waitForLine(/listening on ((tcp|udp):\/\/\[?([^\]\s]+?)\]?:(\d+))/, options.timeoutMs ?? 20_000);
    return {
      process: proc,
      url: match[1] ?? '',
      transport: match[2] === 'udp' ? 'udp' : 'tcp',
      host: match[3] ?? '',
      port: Number(match[4]),
    };
  } catch (error) {
    await proc.stop('SIGKILL');
    throw error;
  }
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a CLI to completion with `input` piped to stdin (then closed). */
export async function runCliProcess(
  entry: CliTarget,
  args: readonly string[],
  options: SpawnOptions & { readonly input?: string; readonly timeoutMs?: number } = {},
): Promise<RunResult> {
  const proc = spawnCli(entry, args, options);
  proc.child.stdin.on('error', () => undefined);
  proc.child.stdin.end(options.input ?? '');
  try {
    const code = await proc.exited(options.timeoutMs ?? 30_000);
    return { code, stdout: proc.stdout(), stderr: proc.stderr() };
  } catch (error) {
    proc.child.kill('SIGKILL');
    throw new CliError('ERR_INPUT', (error as Error).message, { cause: error });
  }
}

/** The former names: `spawnTs` and `runTs` take any {@link CliTarget} now. */
export { spawnCli as spawnTs, runCliProcess as runTs };
