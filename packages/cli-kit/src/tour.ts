import { paint } from './run.js';
import { type RunResult, type StartedServer, runTs, startServerProcess } from './process.js';

/**
 * The tour (`pnpm demo`) is a list of parts, one per exercise. Each part starts real server
 * processes on free loopback ports, runs real clients against them and prints a transcript.
 */
export interface TourContext {
  /** Path of the `netlab` CLI entry point, to spawn `netlab <exercise> server|client`. */
  readonly entry: string;
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

const WHO_STYLES = ['cyan', 'magenta', 'green', 'yellow', 'blue'] as const;

/** Runs the parts in order; returns the number of failed parts. */
export async function runTour(entry: string, parts: readonly TourPart[], write: (line: string) => void = console.log): Promise<number> {
  let failed = 0;
  for (const [index, part] of parts.entries()) {
    write('');
    write(paint('bold', `── ${index + 1}/${parts.length} ${part.name}: ${part.title}`));
    const servers: StartedServer[] = [];
    const colors = new Map<string, (typeof WHO_STYLES)[number]>();
    const ctx: TourContext = {
      entry,
      async startServer(args) {
        const server = await startServerProcess(entry, args);
        servers.push(server);
        write(paint('dim', `   started: netlab ${args.join(' ')}  →  ${server.url}`));
        return server;
      },
      run: (args, input) => runTs(entry, args, input === undefined ? {} : { input }),
      say(who, text) {
        let style = colors.get(who);
        if (style === undefined) {
          style = WHO_STYLES[colors.size % WHO_STYLES.length] ?? 'cyan';
          colors.set(who, style);
        }
        write(`   ${paint(style, who.padEnd(8))} ${text}`);
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
  write(failed === 0 ? paint('green', `tour complete: ${parts.length} ${parts.length === 1 ? 'part' : 'parts'} ran`) : paint('red', `tour: ${failed} of ${parts.length} parts failed`));
  return failed;
}
