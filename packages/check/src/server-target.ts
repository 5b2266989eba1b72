/**
 * The server under test: one already running (`--server HOST:PORT`), or a command netlab starts
 * (`--server-cmd "python3 server.py --port {port}"`).
 *
 * A command target gets a free loopback port (`{port}`, `{host}` substituted), runs in its own
 * process group, and counts as up once something holds that port (a bind probe: no connection
 * is opened, so a one-client-at-a-time server is not kept busy by the checker). If it exits
 * before that, or nothing holds the port within the start timeout, the run ends with
 * `ERR_TARGET_START` (exit status 2). After every case the runner asks `checkHealth()`: a
 * target that exited is reported as crashed and started again, on a new free port (the old one
 * may sit in TIME_WAIT), for the next case. `stop()` ends the group: SIGTERM, then SIGKILL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatHostPort } from '@netlab/ground';
import { CheckError } from './errors.js';
import type { Endpoint } from './case.js';
import { freePort, isPortTaken } from './free-port.js';
import { type GroupProcess, spawnGroup } from './process-group.js';

/** Time a command target has to start listening, ms (before `--time-scale`). */
export const DEFAULT_START_TIMEOUT_MS = 15_000;
/** Time a stopped target has between SIGTERM and SIGKILL, ms. */
export const DEFAULT_STOP_GRACE_MS = 2000;
/** Interval of the readiness probe, ms. */
export const READINESS_PROBE_INTERVAL_MS = 25;
/** Characters of a target's stderr quoted in a start or crash report. */
export const STDERR_QUOTE_CHARS = 600;

export type ServerTargetSpec =
  | { readonly kind: 'address'; readonly host: string; readonly port: number }
  | {
      readonly kind: 'command';
      /** Shell command; `{port}`, `{host}` and `{tmp}` (a fresh directory of the run, kept across restarts) are replaced. */
      readonly command: string;
      /** Address the target is told to use. Default `127.0.0.1`. */
      readonly host?: string;
      /** Working directory. Default: the current one. */
      readonly cwd?: string;
      /** ms to start listening (already scaled). Default {@link DEFAULT_START_TIMEOUT_MS}. */
      readonly startTimeoutMs?: number;
    };

export interface ServerTarget {
  /** For reports: `tcp://127.0.0.1:7102` or `server-cmd: python3 server.py --port {port}`. */
  readonly description: string;
  /** Where it listens now (a command target moves to a new port on restart). */
  readonly endpoint: Endpoint;
  /** True for a command target (cases may kill and restart it). */
  readonly restartable: boolean;
  start(): Promise<void>;
  /**
   * `undefined` when still running; else what happened (`exit code 1; stderr: …`), after
   * restarting it. Waits up to `graceMs` for an exit already under way (a crash on the case's
   * last input races the case's end).
   */
  checkHealth(graceMs: number): Promise<string | undefined>;
  /** SIGKILL to the group, then start again. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** `host:port` → the two parts (IPv6 in brackets); throws `ERR_INVALID_OPTION`. */
export function parseHostPort(value: string): Endpoint {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/u.exec(value);
  const port = match === null ? Number.NaN : Number(match[3]);
  if (match === null || !(port >= 1 && port <= 65535)) {
    throw new CheckError('ERR_INVALID_OPTION', `invalid address "${value}": expected HOST:PORT, e.g. 127.0.0.1:7102`);
  }
  return { host: match[1] ?? match[2] ?? '127.0.0.1', port };
}

/**
 * Replaces `{port}` and `{host}` in a command template, and `{tmp}` with `vars.tmp` (a directory
 * of the run), and any other `{name}` of `vars`.
 */
export function fillCommand(template: string, endpoint: Endpoint, vars: Readonly<Record<string, string>> = {}): string {
  let command = template.replaceAll('{port}', String(endpoint.port)).replaceAll('{host}', endpoint.host);
  for (const [name, value] of Object.entries(vars)) command = command.replaceAll(`{${name}}`, value);
  return command;
}

/** Characters `{tmp}` may hold unquoted in a shell command (mkdtemp under the OS temp dir). */
const SHELL_SAFE = /^[A-Za-z0-9_./-]+$/u;

function quoteStderr(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  const tail = trimmed.length > STDERR_QUOTE_CHARS ? `…${trimmed.slice(-STDERR_QUOTE_CHARS)}` : trimmed;
  return `; its stderr ends: ${JSON.stringify(tail)}`;
}

/** Creates the target for `spec` and `transport`. */
export function createServerTarget(spec: ServerTargetSpec, transport: 'tcp' | 'udp'): ServerTarget {
  if (spec.kind === 'address') {
    const endpoint = { host: spec.host, port: spec.port };
    const isLoopback = /^(127\.|localhost$|::1$)/u.test(spec.host);
    return {
      description: `${transport}://${formatHostPort(spec.host, spec.port)}`,
      endpoint,
      restartable: false,
      async start() {
        // Nothing to start; on loopback, say so early when nothing holds the port.
        if (isLoopback && !(await isPortTaken(transport, spec.port, spec.host === 'localhost' ? '127.0.0.1' : spec.host))) {
          throw new CheckError('ERR_TARGET_START', `nothing listens on ${transport}://${spec.host}:${spec.port}`);
        }
      },
      checkHealth: () => Promise.resolve(undefined),
      restart: () => Promise.reject(new CheckError('ERR_INVALID_OPTION', 'restarting the target needs --server-cmd')),
      stop: () => Promise.resolve(),
    };
  }
  const host = spec.host ?? '127.0.0.1';
  const startTimeoutMs = spec.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  let endpoint: Endpoint = { host, port: 0 };
  let proc: GroupProcess | undefined;
  // `{tmp}`: one fresh directory per run, kept across restarts (a bank's store survives a kill -9),
  // removed by stop().
  let tmp: string | undefined;
  const tmpDir = (): string => {
    if (tmp === undefined) {
      tmp = mkdtempSync(join(tmpdir(), 'netlab-check-'));
      if (!SHELL_SAFE.test(tmp)) throw new CheckError('ERR_INVALID_OPTION', `the temporary directory ${JSON.stringify(tmp)} has characters a shell would split; set TMPDIR to a plain path`);
    }
    return tmp;
  };

  const start = async (): Promise<void> => {
    endpoint = { host, port: await freePort(transport, host) };
    const command = fillCommand(spec.command, endpoint, spec.command.includes('{tmp}') ? { tmp: tmpDir() } : {});
    const started = spawnGroup(command, spec.cwd === undefined ? {} : { cwd: spec.cwd });
    proc = started;
    const deadline = Date.now() + startTimeoutMs;
    const seen = { announced: false };
    started.onLine((line) => {
      if (line.includes(`:${endpoint.port}`) && /listening/iu.test(line)) seen.announced = true;
    });
    for (;;) {
      if (started.exitCode !== undefined) {
        throw new CheckError('ERR_TARGET_START', `the server command exited before listening on ${transport}://${host}:${endpoint.port} (${started.exitDescription() ?? ''})${quoteStderr(started.stderr())}: ${command}`);
      }
      if (seen.announced || (await isPortTaken(transport, endpoint.port, host))) return;
      if (Date.now() > deadline) {
        await started.stop(DEFAULT_STOP_GRACE_MS);
        throw new CheckError('ERR_TARGET_START', `the server command did not listen on ${transport}://${host}:${endpoint.port} within ${startTimeoutMs} ms${quoteStderr(started.stderr())}: ${command}`);
      }
      await started.waitExit(READINESS_PROBE_INTERVAL_MS);
    }
  };

  return {
    description: `server-cmd: ${spec.command}`,
    get endpoint() {
      return endpoint;
    },
    restartable: true,
    start,
    async checkHealth(graceMs) {
      const current = proc;
      if (current === undefined) return undefined;
      await current.waitExit(graceMs);
      const exited = current.exitDescription();
      if (exited === undefined) return undefined;
      const what = `the server crashed (${exited})${quoteStderr(current.stderr())}`;
      // Make sure nothing of the old group is left, then give the next case a fresh server.
      current.signalGroup('SIGKILL');
      await start();
      return `${what}; it was restarted for the next case`;
    },
    async restart() {
      if (proc !== undefined) {
        proc.signalGroup('SIGKILL');
        await proc.waitExit(5000);
      }
      await start();
    },
    async stop() {
      await proc?.stop(DEFAULT_STOP_GRACE_MS);
      if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
      tmp = undefined;
    },
  };
}
