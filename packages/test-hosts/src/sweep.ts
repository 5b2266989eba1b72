/**
 * Deleting test hosts, one or all stale ones. Deleting a namespace first SIGKILLs the processes
 * still inside it (`ip netns pids`: only a run of this package starts processes there), then
 * `ip netns del`; the veth pair goes with the namespace. A namespace that is already gone counts as
 * deleted, so every step can be retried and the exit handler can run after `destroy()`.
 *
 * The sweep removes the namespaces of a prefix whose creating process (the pid in the name) no
 * longer runs: what a run killed with SIGKILL, or a crashed runner, left behind. A namespace whose
 * creator still runs belongs to a run going on beside this one and is left alone.
 */
import { parseHostName, resolvePrefix } from './names.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, runCommand, runCommandSync } from './run-command.js';

export interface SweepOptions {
  /** Family prefix. Default `$NETLAB_TEST_HOSTS_PREFIX`, else `nlh`. */
  readonly prefix?: string;
  /** Time each `ip` step may take. Default 15 s. */
  readonly timeoutMs?: number;
}

/** The names `ip netns list` prints (first word of each line: `name (id: 3)`). */
export function parseNetnsList(output: string): string[] {
  return output
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name !== '');
}

function pidsOf(output: string): number[] {
  return output
    .split(/\s+/)
    .filter((word) => /^\d+$/.test(word))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

/** True when a process with this pid runs (EPERM: it runs, as another user). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Every namespace name on the machine. */
export async function listNamespaces(timeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): Promise<string[]> {
  return parseNetnsList((await runCommand('ip', ['netns', 'list'], { timeoutMs })).stdout);
}

/** The namespaces this package created under `prefix` (by any process, alive or not). */
export async function listTestHostNamespaces(options: SweepOptions = {}): Promise<string[]> {
  const prefix = resolvePrefix(options.prefix);
  return (await listNamespaces(options.timeoutMs)).filter((name) => parseHostName(name, prefix) !== undefined);
}

/** Kills what runs in `name` and deletes it; resolves when it is gone (or was not there). */
export async function destroyNamespace(name: string, options: { readonly timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const pids = await runCommand('ip', ['netns', 'pids', name], { timeoutMs }).then(
    (result) => pidsOf(result.stdout),
    () => [],
  );
  for (const pid of pids) kill(pid);
  try {
    await runCommand('ip', ['netns', 'del', name], { timeoutMs });
  } catch (error) {
    if ((await listNamespaces(timeoutMs)).includes(name)) throw error;
  }
}

/** The synchronous twin of {@link destroyNamespace}, for `process.on('exit')`. */
export function destroyNamespaceSync(name: string, options: { readonly timeoutMs?: number } = {}): void {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let pids: number[] = [];
  try {
    pids = pidsOf(runCommandSync('ip', ['netns', 'pids', name], { timeoutMs }).stdout);
  } catch {
    // Not there (any more).
  }
  for (const pid of pids) kill(pid);
  try {
    runCommandSync('ip', ['netns', 'del', name], { timeoutMs });
  } catch (error) {
    if (parseNetnsList(runCommandSync('ip', ['netns', 'list'], { timeoutMs }).stdout).includes(name)) throw error;
  }
}

/** Deletes the namespaces of `prefix` whose creator no longer runs; resolves with their names. */
export async function sweepStaleTestHosts(options: SweepOptions = {}): Promise<string[]> {
  const prefix = resolvePrefix(options.prefix);
  const removed: string[] = [];
  for (const name of await listNamespaces(options.timeoutMs)) {
    const parsed = parseHostName(name, prefix);
    if (parsed === undefined || parsed.pid === process.pid || isProcessAlive(parsed.pid)) continue;
    await destroyNamespace(name, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
    removed.push(name);
  }
  return removed;
}
