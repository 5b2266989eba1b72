import { CliError } from './errors.js';
import { paint } from './color.js';

/** One line describing any thrown value, for users: the message, never a stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const message = error.message.replace(/\s*\n\s*/g, ' ');
    return typeof code === 'string' && !(error instanceof CliError) && !message.includes(code) ? `${message} (${code})` : message;
  }
  return String(error);
}

/** Prints `error: <message>` for a failure and sets the exit code (CliError's, else 1); the stack only with NETLAB_DEBUG=1. */
export function reportFailure(error: unknown): void {
  process.stderr.write(`${paint('red', 'error:', process.stderr)} ${describeError(error)}\n`);
  if (process.env.NETLAB_DEBUG === '1' && error instanceof Error && error.stack !== undefined) {
    process.stderr.write(`${error.stack}\n`);
  }
  process.exitCode = error instanceof CliError ? error.exitCode : 1;
}
