/**
 * The client under test (`--client-cmd "python3 client.py --host {host} --port {port}"`): run
 * once per case, in its own process group, against the server the case plays. Its input is
 * piped to stdin (then closed, unless the case keeps it open); stdout and stderr are collected
 * (the last 64 KiB each). Every run is bounded: past its time the group is SIGKILLed and the
 * run reports `timedOut`.
 */
import type { Endpoint } from './case.js';
import { spawnGroup } from './process-group.js';
import { fillCommand } from './server-target.js';

export interface ClientRunOptions {
  /** Where the case's server listens (`{host}`, `{port}`). */
  readonly endpoint: Endpoint;
  /** More `{name}` placeholders of the command (the ATM suite's `{card}`, `{pin}`, `{amount}`, `{cents}`). Default: none. */
  readonly vars?: Readonly<Record<string, string>>;
  /** Written to the client's stdin. Default: nothing. */
  readonly input?: string;
  /** Close stdin after the input. Default true. */
  readonly closeStdin?: boolean;
  /** Kill the client after this long, ms (already scaled). Required. */
  readonly timeoutMs: number;
  /** Resolves early when this resolves (the case has seen enough); the client is then stopped. */
  readonly until?: Promise<unknown>;
}

export interface ClientRunResult {
  /** Exit code; `null` if killed by a signal. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the client did not exit by itself within the time. */
  readonly timedOut: boolean;
  /** True when the case ended the run (`until`) before the client exited. */
  readonly stoppedEarly: boolean;
  readonly durationMs: number;
}

export interface ClientRunner {
  /** The command template, for reports. */
  readonly command: string;
  run(options: ClientRunOptions): Promise<ClientRunResult>;
}

/** A runner for `command` (`{host}` / `{port}` replaced per run). */
export function createClientRunner(command: string, options: { readonly cwd?: string } = {}): ClientRunner {
  return {
    command,
    async run(run) {
      const started = Date.now();
      const proc = spawnGroup(fillCommand(command, run.endpoint, run.vars), { stdin: 'pipe', ...(options.cwd === undefined ? {} : { cwd: options.cwd }) });
      const stdin = proc.child.stdin;
      if (stdin !== null) {
        if (run.input !== undefined && run.input !== '') stdin.write(run.input);
        if (run.closeStdin ?? true) stdin.end();
      }
      let stoppedEarly = false;
      const exited = proc.waitExit(run.timeoutMs);
      const early = run.until?.then(() => 'early' as const, () => 'early' as const);
      const first = await Promise.race([exited.then((done) => (done ? ('exited' as const) : ('timeout' as const))), ...(early === undefined ? [] : [early])]);
      let timedOut = false;
      if (first === 'early') {
        stoppedEarly = proc.exitCode === undefined;
        if (stoppedEarly) await proc.stop(500);
      } else if (first === 'timeout') {
        timedOut = true;
        proc.signalGroup('SIGKILL');
        await proc.waitExit(5000);
      }
      proc.signalGroup('SIGKILL');
      stdin?.destroy();
      return {
        code: proc.exitCode ?? null,
        stdout: proc.stdout(),
        stderr: proc.stderr(),
        timedOut,
        stoppedEarly,
        durationMs: Date.now() - started,
      };
    },
  };
}
