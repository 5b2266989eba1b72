import { styleText } from 'node:util';
import { Command, CommanderError } from 'commander';
import { CliError } from './errors.js';

type Style = Parameters<typeof styleText>[0];

/** True when colours should be used on `stream` (a TTY, and NO_COLOR unset). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY && process.env.NO_COLOR === undefined && process.env.FORCE_COLOR !== '0';
}

/** Styles text when colours are on for `stream` (default stdout), else returns it unchanged. */
export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return useColor(stream) || process.env.FORCE_COLOR === '1' ? styleText(style, text) : text;
}

/** One line describing any thrown value, for users: the message, never a stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !(error instanceof CliError) && !error.message.includes(code)
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}

/**
 * Runs a commander program as a CLI should: usage errors and failures print one line
 * (`error: …`) and set a non-zero exit code; `--help` exits 0; stacks only with NETLAB_DEBUG=1.
 */
export async function runCli(program: Command, argv: readonly string[] = process.argv): Promise<void> {
  const configure = (command: Command): void => {
    command.exitOverride();
    command.configureOutput({
      writeErr: (text) => process.stderr.write(text),
      // One line, always: commander's message plus where to look next.
      outputError: (text, write) => {
        write(`${text.trim().replace(/\s*\n\s*/g, ' ')} (see --help)\n`);
      },
    });
    for (const sub of command.commands) configure(sub);
  };
  configure(program);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    reportFailure(error);
  }
}

/** Prints `error: <message>` for a failure and sets exit code (CliError's, else 1). */
export function reportFailure(error: unknown): void {
  process.stderr.write(`${paint('red', 'error:', process.stderr)} ${describeError(error)}\n`);
  if (process.env.NETLAB_DEBUG === '1' && error instanceof Error && error.stack !== undefined) {
    process.stderr.write(`${error.stack}\n`);
  }
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
}

/**
 * Calls `stop` once on the first SIGINT or SIGTERM, then exits 0 (or 1 if `stop` throws).
 * A second signal exits at once with 130. Returns a function that removes the handlers.
 */
export function onShutdown(stop: (signal: NodeJS.Signals) => Promise<void> | void): () => void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.exit(130);
    }
    stopping = true;
    Promise.resolve()
      .then(() => stop(signal))
      .then(
        () => process.exit(0),
        (error: unknown) => {
          reportFailure(error);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export { Command };
