/**
 * Runs a suite: every selected case in order, each isolated (its own connections, proxies and
 * cleanup; a failure or a crashed target never stops the rest), each bounded by its budget
 * × `timeScale`. Randomness is seeded per case (`createPrng(seed).fork(id)`), and every fault
 * proxy a case starts is seeded from the same fork, so one `--seed` replays a whole run and
 * `--only <id>` replays one case exactly.
 *
 * Status: `pass` when the case resolves; `fail` when it throws a `CaseFailure` or the target
 * crashed during it (with `--server-cmd` the server is restarted for the next case and the
 * crash is quoted); `error` for anything else (the target could not be reached, the case ran
 * out of time, the checker broke); `skip` when a need is unmet (`--no-faults`, or a restart
 * case without `--server-cmd`).
 */
import { processWireTap } from '@netlab/ground';
import { createPrng } from '@netlab/faults';
import { createTcpFaultProxy, createUdpFaultProxy } from '@netlab/faults';
import {
  type BaseCaseContext,
  type CaseNeed,
  type CaseResult,
  type CheckReport,
  type ClientCaseContext,
  type ClientSuite,
  DEFAULT_CASE_TIMEOUT_MS,
  DEFAULT_REPLY_TIMEOUT_MS,
  type Endpoint,
  type ServerCaseContext,
  type ServerSuite,
} from './case.js';
import type { ClientRunner } from './client-process.js';
import { CheckError, assertNumberOption, isCaseFailure } from './errors.js';
import type { ServerTarget } from './server-target.js';
import { connectTcpProbe } from './tcp-probe.js';
import { openUdpProbe } from './udp-probe.js';

/** `--time-scale` default. */
export const DEFAULT_TIME_SCALE = 1;
/** Largest `--time-scale`. */
export const MAX_TIME_SCALE = 100;
/** How long the runner waits for a target's exit after a passed case, ms. */
export const HEALTH_GRACE_AFTER_PASS_MS = 20;
/** How long after a failed case (a crash is likelier, and its exit may still be on the way), ms. */
export const HEALTH_GRACE_AFTER_FAILURE_MS = 300;
/** Time each cleanup of a case may take, ms. */
export const CLEANUP_TIMEOUT_MS = 5000;

export interface RunOptions {
  /** Seed of every random input and fault decision. Required (the CLI picks and prints one). */
  readonly seed: number;
  /** Multiplies every timeout and pause. Default {@link DEFAULT_TIME_SCALE}. */
  readonly timeScale?: number;
  /** Case ids or id prefixes (`echo.framing`) to run. Default: all. */
  readonly only?: readonly string[];
  /** Run the `faults` cases (fault proxies). Default true. */
  readonly faults?: boolean;
  /** Called before each case. */
  readonly onCaseStart?: (id: string, index: number, total: number) => void;
  /** Called after each case. */
  readonly onCaseEnd?: (result: CaseResult, index: number, total: number) => void;
}

/** With a process wire tap (`netlab check --trace`), each case's start and verdict are notes in the trace, between its probes' records. */
function traceNote(text: string): void {
  processWireTap()?.note(text.length > 4000 ? `${text.slice(0, 4000)}…` : text);
}

interface Selectable {
  readonly id: string;
}

/** The cases `only` selects (ids or prefixes ending at a `.`); throws `ERR_NO_CASES` if a name matches none. */
export function selectCases<T extends Selectable>(cases: readonly T[], only: readonly string[] | undefined): T[] {
  if (only === undefined || only.length === 0) return [...cases];
  const wanted = only.map((name) => name.trim()).filter((name) => name !== '');
  for (const name of wanted) {
    if (!cases.some((c) => c.id === name || c.id.startsWith(`${name}.`))) {
      throw new CheckError('ERR_NO_CASES', `no case "${name}" in this suite (netlab check … --list shows the ids)`);
    }
  }
  return cases.filter((c) => wanted.some((name) => c.id === name || c.id.startsWith(`${name}.`)));
}

function baseContext(id: string, seed: number, timeScale: number, cleanups: (() => Promise<void> | void)[]): BaseCaseContext {
  const ms = (base: number): number => Math.max(1, Math.round(base * timeScale));
  return {
    seed,
    rng: createPrng(seed).fork(id),
    timeScale,
    ms,
    pause: (base) => new Promise((resolve) => setTimeout(resolve, ms(base))),
    defer: (cleanup) => {
      cleanups.push(cleanup);
    },
  };
}

async function runCleanups(cleanups: (() => Promise<void> | void)[]): Promise<void> {
  for (const cleanup of cleanups.reverse()) {
    await Promise.race([
      Promise.resolve().then(cleanup).catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, CLEANUP_TIMEOUT_MS)),
    ]);
  }
}

function unmetNeed(needs: readonly CaseNeed[] | undefined, have: { faults: boolean; serverCmd: boolean }): string | undefined {
  for (const need of needs ?? []) {
    if (need === 'faults' && !have.faults) return 'skipped: fault cases are off (--no-faults)';
    if (need === 'server-cmd' && !have.serverCmd) return 'skipped: needs --server-cmd (netlab must be able to kill and restart the server)';
  }
  return undefined;
}

interface AnyCase {
  readonly id: string;
  readonly title: string;
  readonly group: string;
  readonly points: number;
  readonly timeoutMs?: number;
  readonly needs?: readonly CaseNeed[];
}

async function runBounded(run: () => Promise<void>, budgetMs: number): Promise<{ status: 'pass' | 'fail' | 'error'; message: string }> {
  let timer: NodeJS.Timeout | undefined;
  const overtime = new Promise<'overtime'>((resolve) => {
    timer = setTimeout(() => {
      resolve('overtime');
    }, budgetMs);
  });
  try {
    const outcome = await Promise.race([run().then(() => 'done' as const), overtime]);
    if (outcome === 'overtime') return { status: 'error', message: `the case did not finish within ${budgetMs} ms` };
    return { status: 'pass', message: '' };
  } catch (error) {
    if (isCaseFailure(error)) return { status: 'fail', message: error.message };
    return { status: 'error', message: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function summarize(exercise: string, target: string, seed: number, results: CaseResult[]): CheckReport {
  return {
    exercise,
    target,
    seed,
    passed: results.filter((r) => r.status === 'pass').length,
    failed: results.filter((r) => r.status === 'fail' || r.status === 'error').length,
    score: results.filter((r) => r.status === 'pass').reduce((sum, r) => sum + r.points, 0),
    // Skipped cases were not checked: they count neither for nor against.
    maxScore: results.filter((r) => r.status !== 'skip').reduce((sum, r) => sum + r.points, 0),
    cases: results,
  };
}

async function runCases<C extends AnyCase>(
  cases: readonly C[],
  options: RunOptions,
  have: { faults: boolean; serverCmd: boolean },
  execute: (c: C, cleanups: (() => Promise<void> | void)[], base: BaseCaseContext) => Promise<void>,
  afterCase: (status: CaseResult['status']) => Promise<string | undefined>,
): Promise<CaseResult[]> {
  const timeScale = options.timeScale ?? DEFAULT_TIME_SCALE;
  assertNumberOption('timeScale', timeScale, 0.01, MAX_TIME_SCALE);
  const selected = selectCases(cases, options.only);
  const results: CaseResult[] = [];
  for (const [index, c] of selected.entries()) {
    options.onCaseStart?.(c.id, index, selected.length);
    traceNote(`case ${c.id}: ${c.title}`);
    const started = Date.now();
    const skip = unmetNeed(c.needs, have);
    let status: CaseResult['status'] = 'skip';
    let message = skip ?? '';
    if (skip === undefined) {
      const cleanups: (() => Promise<void> | void)[] = [];
      const base = baseContext(c.id, options.seed, timeScale, cleanups);
      const budget = base.ms(c.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS);
      const outcome = await runBounded(() => execute(c, cleanups, base), budget);
      await runCleanups(cleanups);
      status = outcome.status;
      message = outcome.message;
      let crash: string | undefined;
      try {
        crash = await afterCase(status);
      } catch (error) {
        crash = `the server crashed and could not be restarted: ${error instanceof Error ? error.message : String(error)}`;
      }
      if (crash !== undefined) {
        status = 'fail';
        message = message === '' ? crash : `${message}; ${crash}`;
      }
    }
    const result: CaseResult = { id: c.id, title: c.title, group: c.group, points: c.points, status, message, durationMs: Date.now() - started };
    results.push(result);
    traceNote(`case ${c.id}: ${status}${message === '' ? '' : ` (${message})`}`);
    options.onCaseEnd?.(result, index, selected.length);
  }
  return results;
}

/** Runs a server suite against `target` (started and stopped here). Throws `ERR_TARGET_START` if it never comes up. */
export async function runServerSuite(suite: ServerSuite, target: ServerTarget, options: RunOptions): Promise<CheckReport> {
  const timeScale = options.timeScale ?? DEFAULT_TIME_SCALE;
  assertNumberOption('timeScale', timeScale, 0.01, MAX_TIME_SCALE);
  selectCases(suite.cases, options.only);
  const faults = options.faults ?? true;
  await target.start();
  try {
    const results = await runCases(
      suite.cases,
      options,
      { faults, serverCmd: target.restartable },
      async (c, cleanups, base) => {
        const replyTimeoutMs = base.ms(DEFAULT_REPLY_TIMEOUT_MS);
        const proxySeed = base.rng.fork('proxy').int(2 ** 31);
        const ctx: ServerCaseContext = {
          ...base,
          get target(): Endpoint {
            return target.endpoint;
          },
          async tcp(name, via) {
            const endpoint = via ?? target.endpoint;
            const probe = await connectTcpProbe({ host: endpoint.host, port: endpoint.port, name: name ?? 'client', timeoutMs: replyTimeoutMs, connectTimeoutMs: base.ms(5000) });
            cleanups.push(() => {
              probe.destroy();
            });
            return probe;
          },
          async udp(name, via) {
            const endpoint = via ?? target.endpoint;
            const probe = await openUdpProbe({ host: endpoint.host, port: endpoint.port, name: name ?? 'client', timeoutMs: replyTimeoutMs });
            cleanups.push(() => probe.close());
            return probe;
          },
          async tcpFaults(spec) {
            const proxy = await createTcpFaultProxy({ upstreamHost: target.endpoint.host, upstreamPort: target.endpoint.port, seed: proxySeed, ...spec });
            cleanups.push(async () => {
              await proxy.close();
            });
            return { host: proxy.host, port: proxy.port };
          },
          async udpFaults(spec) {
            const proxy = await createUdpFaultProxy({ upstreamHost: target.endpoint.host, upstreamPort: target.endpoint.port, seed: proxySeed, ...spec });
            cleanups.push(async () => {
              await proxy.close();
            });
            return { host: proxy.host, port: proxy.port };
          },
          restartTarget: () => target.restart(),
        };
        await c.run(ctx);
      },
      // A target that dies on a case's input may still be exiting when the case ends.
      (status) => target.checkHealth(status === 'pass' ? HEALTH_GRACE_AFTER_PASS_MS : HEALTH_GRACE_AFTER_FAILURE_MS),
    );
    return summarize(suite.exercise, target.description, options.seed, results);
  } finally {
    await target.stop();
  }
}

/** Runs a client suite: each case plays the server and runs the client command against it. */
export async function runClientSuite(suite: ClientSuite, client: ClientRunner, options: RunOptions): Promise<CheckReport> {
  const results = await runCases(
    suite.cases,
    options,
    { faults: options.faults ?? true, serverCmd: false },
    async (c, _cleanups, base) => {
      const ctx: ClientCaseContext = { ...base, client };
      await c.run(ctx);
    },
    () => Promise.resolve(undefined),
  );
  return summarize(suite.exercise, `client-cmd: ${client.command}`, options.seed, results);
}
