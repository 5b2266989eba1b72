/**
 * Runs a commander program the way every netlab command behaves:
 *
 * - a usage error or a failure prints one line, `error: …` (commander's own usage errors end
 *   with `(see --help)`), and sets a non-zero exit code; the stack only with `NETLAB_DEBUG=1`;
 * - `--help` and `--version` / `-V` exit 0; with `version` given, every subcommand has
 *   `--version` too;
 * - writing to a closed pipe exits quietly with status 0 (`broken-pipe.ts`).
 */
import { Command, CommanderError, Option } from 'commander';
import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { reportFailure } from './report.js';

export interface RunCliOptions {
  /** Arguments, as `process.argv` (node, script, ...). Default `process.argv`. */
  readonly argv?: readonly string[];
  /**
   * What `--version` / `-V` prints, on the program and every subcommand, e.g.
   * `netlab 0.1.0 (Node.js v20.20.2, linux x64)`. Default: no `--version` flag.
   */
  readonly version?: string;
}

/** Applies the one-line error style (and `--version`) to `command` and all its subcommands. */
function configure(command: Command, version: string | undefined): void {
  command.exitOverride();
  if (version !== undefined) command.version(version, '-V, --version', 'print the version and exit');
  command.configureOutput({
    writeOut: (text) => process.stdout.write(text),
    writeErr: (text) => process.stderr.write(text),
    // One line, always: commander's message plus where to look next.
    outputError: (text, write) => {
      write(`${text.trim().replace(/\s*\n\s*/g, ' ')} (see --help)\n`);
    },
  });
  for (const sub of command.commands) configure(sub, version);
}

/** Runs `program`; resolves when its action is done (servers keep the process alive after that). */
export async function runCli(program: Command, options: RunCliOptions = {}): Promise<void> {
  exitQuietlyOnBrokenPipe();
  configure(program, options.version);
  try {
    await program.parseAsync([...(options.argv ?? process.argv)]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    reportFailure(error);
  }
}

export { Command, Option };
