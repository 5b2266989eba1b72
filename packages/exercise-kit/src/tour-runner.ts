/**
 * The tour (`netlab demo`) is a list of parts, one per exercise. Each part starts real server
 * processes on free loopback ports, runs real clients against them and prints a transcript: one
 * line per message, `who` in a column, then what was said. Roles keep their colour across the
 * whole tour (`server` magenta, `client` cyan; other names take the next free colour).
 */
import { paint } from '@netlab/cli-kit';
import { type CliTarget, type RunResult, type StartedServer, runCliProcess, startServerProcess } from './cli-process.js';

export interface TourContext {
  /** The `netlab` program, to spawn `netlab <exercise> server|client`. */
  readonly entry: CliTarget;
  /** Starts `netlab ...args` and waits for its listening line; stopped when the part ends. */
  startServer(args: readonly string[]): Promise<StartedServer>;
  /** Runs `netlab ...args` to completion with `input` piped to stdin. */
  run(args: readonly string[], input?: string): Promise<RunResult>;
  /** Prints a transcript line: who said it, and what. */
  say(who: string, text: string): void;
  /** Prints a plain note line. */
  note(text: string): void;
}

export interface TourPart {
  /** The exercise name, as in `netlab <name>`. */
  readonly name: string;
  /** One-line title printed as the part's heading. */
  readonly title: string;
  run(ctx: TourContext): Promise<void>;
}

type WhoStyle = 'cyan' | 'magenta' | 'green' | 'yellow' | 'blue';

/** Colours of the two roles every part has; other names take {@link OTHER_STYLES} in turn. */
const ROLE_STYLES: Readonly<Record<string, WhoStyle>> = { client: 'cyan', server: 'magenta' };
const OTHER_STYLES: readonly WhoStyle[] = ['green', 'yellow', 'blue'];
/** Width of the `who` column; a longer name widens it from then on. */
export const TOUR_WHO_WIDTH = 10;

/** Runs the parts in order; returns the number of failed parts. */
export async function runTour(entry: CliTarget, parts: readonly TourPart[], write: (line: string) => void = console.log): Promise<number> {
  let failed = 0;
  const colors = new Map<string, WhoStyle>(Object.entries(ROLE_STYLES));
  let width = TOUR_WHO_WIDTH;
  const styleOf = (who: string): WhoStyle => {
    let style = colors.get(who);
    if (style === undefined) {
      style = OTHER_STYLES[(colors.size - Object.keys(ROLE_STYLES).length) % OTHER_STYLES.length] ?? 'green';
      colors.set(who, style);
    }
    return style;
  };
  for (const [index, part] of parts.entries()) {
    write('');
    write(paint('bold', `── ${index + 1}/${parts.length} ${part.name}: ${part.title}`));
    const servers: StartedServer[] = [];
    const ctx: TourContext = {
      entry,
      async startServer(args) {
        const server = await startServerProcess(entry, args);
        servers.push(server);
        write(paint('dim', `   started: netlab ${args.join(' ')}  →  ${server.url}`));
        return server;
      },
      run: (args, input) => runCliProcess(entry, args, input === undefined ? {} : { input }),
      say(who, text) {
        width = Math.max(width, who.length);
        write(`   ${paint(styleOf(who), who.padEnd(width))} ${text}`);
      },
      note(text) {
        write(`   ${paint('dim', text)}`);
      },
    };
    try {
      await part.run(ctx);
    } catch (error) {
      failed++;
      write(`   ${paint('red', 'FAILED:')} ${(error as Error).message}`);
    } finally {
      await Promise.all(servers.map((server) => server.process.stop()));
    }
  }
  write('');
  write(
    failed === 0
      ? paint('green', `tour complete: ${parts.length} ${parts.length === 1 ? 'part' : 'parts'} ran`)
      : paint('red', `tour: ${failed} of ${parts.length} parts failed`),
  );
  return failed;
}
