/**
 * Helpers for an exercise's part of the tour (`pnpm demo`): start its real server on a free
 * loopback port, run its real client with a short script, print who said what.
 */
import type { RunResult, StartedServer } from './cli-process.js';
import type { TourContext } from './tour-runner.js';

/** Starts `netlab <exercise> server --port 0 ...args` and returns where it listens. */
export function startTourServer(ctx: TourContext, exercise: string, args: readonly string[] = []): Promise<StartedServer> {
  return ctx.startServer([exercise, 'server', '--port', '0', ...args]);
}

/**
 * Runs `netlab <exercise> client --port <port> ...args` with `input` piped to it. Rejects (the
 * part fails) when the client exits non-zero, unless `expectFailure` is set.
 */
export async function runTourClient(
  ctx: TourContext,
  exercise: string,
  server: Pick<StartedServer, 'port'>,
  options: { readonly args?: readonly string[]; readonly input?: string; readonly expectFailure?: boolean } = {},
): Promise<RunResult> {
  const result = await ctx.run([exercise, 'client', '--port', String(server.port), ...(options.args ?? [])], options.input ?? '');
  if (result.code !== 0 && options.expectFailure !== true) {
    throw new Error(`${exercise} client exited with ${result.code}: ${result.stderr.trim()}`);
  }
  return result;
}

/** The lines of a process's output, without the final empty one. */
export function outputLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

export interface ExchangeTranscript {
  /** Lines the client sent, in order. */
  readonly sent: readonly string[];
  /** Lines the client printed (one reply per sent line, after `banner` lines). */
  readonly received: readonly string[];
  /** Lines the server sent before the first reply. Default 0. */
  readonly banner?: number;
  /** Label of the client. Default `client`. */
  readonly client?: string;
  /** Label of the server. Default `server`. */
  readonly server?: string;
}

/**
 * Prints a lockstep conversation: the banner, then each sent line followed by its reply, then
 * whatever else the server said. Lines sent after the server closed are shown as unanswered.
 */
export function sayExchange(ctx: TourContext, transcript: ExchangeTranscript): void {
  const client = transcript.client ?? 'client';
  const server = transcript.server ?? 'server';
  const banner = transcript.banner ?? 0;
  const received = [...transcript.received];
  for (const line of received.splice(0, banner)) ctx.say(server, line);
  for (const line of transcript.sent) {
    ctx.say(client, line);
    const reply = received.shift();
    if (reply === undefined) {
      ctx.note('(no reply: the connection was closed)');
      break;
    }
    ctx.say(server, reply);
  }
  for (const line of received) ctx.say(server, line);
}

/** Prints every line of `text` as said by `who`. */
export function sayLines(ctx: TourContext, who: string, text: string): void {
  for (const line of outputLines(text)) ctx.say(who, line);
}
