/**
 * Writing to a closed pipe (`netlab … | head -1`) ends the program quietly with status 0, as
 * `seq 1e6 | head` does: no `Unhandled 'error' event`, no stack. When stop handlers are
 * registered (`onShutdown`: servers, long runs with temp files) they run first, as for a signal;
 * otherwise the process exits at once. Any other write error on stdout or stderr is reported as
 * one line and exits 1.
 */
import { hasShutdownHandlers, shutdown } from './shutdown.js';

let installed = false;

function isBrokenPipe(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED';
}

/** Installs the handlers on `process.stdout` and `process.stderr`; idempotent. `runCli` calls it. */
export function exitQuietlyOnBrokenPipe(): void {
  if (installed) return;
  installed = true;
  const onError = (error: unknown): void => {
    if (isBrokenPipe(error)) {
      process.exitCode = 0;
      if (hasShutdownHandlers()) shutdown('SIGPIPE');
      else process.exit(0);
      return;
    }
    // stderr itself may be what failed: nothing sensible is left to print to.
    process.exitCode = 1;
    process.exit(1);
  };
  process.stdout.on('error', onError);
  process.stderr.on('error', onError);
}
