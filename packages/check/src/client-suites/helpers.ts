/**
 * Expectations of the client suites: what the client sent (as the scripted server saw it), what
 * it printed (stdout: each expected reply must appear, in order, within a line, so a client may
 * decorate its output, `Ok (from 127.0.0.1:7106)`), and how it ended (by itself, in time, with
 * the right exit status). Failure messages quote the client's output, escaped and truncated.
 */
import type { ClientCase, ClientCaseContext } from '../case.js';
import type { ClientRunResult } from '../client-process.js';
import { CaseFailure } from '../errors.js';
import { showBytes } from '../escape.js';

/** Time a client run may take before it is killed, ms (before `--time-scale`). */
export const CLIENT_RUN_TIMEOUT_MS = 12_000;

export function clientCase(exercise: string, name: string, title: string, run: (ctx: ClientCaseContext) => Promise<void>, extra: Partial<Pick<ClientCase, 'points' | 'timeoutMs'>> = {}): ClientCase {
  return { id: `${exercise}.client.${name}`, title, group: 'client', points: extra.points ?? 1, run, timeoutMs: extra.timeoutMs ?? 45_000 };
}

function outputOf(run: ClientRunResult): string {
  const stderr = run.stderr.trim() === '' ? '' : `; stderr ${showBytes(run.stderr)}`;
  return `stdout ${showBytes(run.stdout)}${stderr}`;
}

/** The client ended by itself, in time, with exit status 0 (or non-zero when `ok` is false). */
export function expectExit(run: ClientRunResult, ok: boolean, timeoutMs: number): void {
  if (run.timedOut) throw new CaseFailure(`the client was still running after ${timeoutMs} ms and was killed (${outputOf(run)})`);
  if (ok && run.code !== 0) throw new CaseFailure(`the client exited with ${run.code === null ? 'a signal' : `status ${run.code}`}, expected 0 (${outputOf(run)})`);
  if (!ok && run.code === 0) throw new CaseFailure(`the client exited with status 0; expected a non-zero status after giving up (${outputOf(run)})`);
}

/** Each of `expected` appears within a stdout line, in this order. */
export function expectPrinted(run: ClientRunResult, expected: readonly string[]): void {
  const lines = run.stdout.split('\n').map((line) => line.replace(/\r$/u, ''));
  let at = 0;
  for (const want of expected) {
    const found = lines.findIndex((line, i) => i >= at && line.includes(want));
    if (found === -1) throw new CaseFailure(`expected the client to print ${showBytes(want)}${at > 0 ? ' after the lines before it' : ''}; it printed ${outputOf(run)}`);
    at = found + 1;
  }
}

/** The server received exactly `expected` (lines or datagrams), in this order. */
export function expectSent(received: readonly string[], expected: readonly string[], what = 'lines'): void {
  const same = received.length === expected.length && received.every((line, i) => line === expected[i]);
  if (!same) throw new CaseFailure(`expected the client to send the ${what} ${expected.map((l) => showBytes(l)).join(', ')}; it sent ${received.length === 0 ? 'nothing' : received.map((l) => showBytes(l)).join(', ')}`);
}

/** Runs the client against `endpoint` with `input` on stdin, bounded. */
export function runClient(ctx: ClientCaseContext, endpoint: { host: string; port: number }, input: string): Promise<ClientRunResult> {
  return ctx.client.run({ endpoint, input, timeoutMs: ctx.ms(CLIENT_RUN_TIMEOUT_MS) });
}
