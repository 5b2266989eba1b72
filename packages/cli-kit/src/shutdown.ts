/**
 * Graceful stops. `onShutdown(stop)` runs `stop` once on the first SIGINT or SIGTERM, or when
 * stdout turns out to be a closed pipe (see `broken-pipe.ts`), then exits 0 (1 if `stop` throws).
 * A second signal exits at once with 130.
 */
import { reportFailure } from './report.js';

type StopHandler = (signal: NodeJS.Signals) => Promise<void> | void;

const handlers = new Set<StopHandler>();
let stopping = false;

/** Runs every registered stop handler once, then exits 0 (or 1 if one throws). */
export function shutdown(signal: NodeJS.Signals): void {
  if (stopping) {
    if (signal !== 'SIGPIPE') process.exit(130);
    return;
  }
  stopping = true;
  const stops = [...handlers];
  Promise.all(stops.map(async (stop) => stop(signal))).then(
    () => process.exit(0),
    (error: unknown) => {
      reportFailure(error);
      process.exit(1);
    },
  );
}

/** True when a stop handler is registered (a broken pipe then stops gracefully instead of exiting at once). */
export function hasShutdownHandlers(): boolean {
  return handlers.size > 0;
}

const onSignal = (signal: NodeJS.Signals): void => {
  shutdown(signal);
};

/**
 * Calls `stop` once on the first SIGINT or SIGTERM (or a broken stdout pipe), then exits 0 (or
 * 1 if `stop` throws). A second signal exits at once with 130. Returns a function that removes
 * the handler.
 */
export function onShutdown(stop: StopHandler): () => void {
  if (handlers.size === 0) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  handlers.add(stop);
  return () => {
    handlers.delete(stop);
    if (handlers.size === 0 && !stopping) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  };
}
