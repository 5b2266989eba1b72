/**
 * The lifecycle every netlab server shares, whatever it carries (TCP connections, UDP peers, a
 * simulated node): one interface, and the two steps that used to be written again in each
 * (duplicates D2 of the 2026-12 review): starting with a one-shot error listener, and a
 * graceful close bounded by a grace period on the injected clock.
 */
import { type Clock, systemClock } from './clock.js';
import { DEFAULT_HOST } from './host-port.js';

/** The options every netlab server takes, besides what it carries. */
export interface NetServerOptions<Event> {
  /** Address to listen on (`::1`, `0.0.0.0`, `::` work too; an IPv6 address binds IPv6). Default {@link DEFAULT_HOST}. */
  readonly host?: string;
  /** Port; 0 picks a free one (see the address `listen()` resolves with). Default 0. */
  readonly port?: number;
  /** Time and timers of the server and its sessions (`ctx.now()`, deadlines, expiry). Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Receives every event (sessions opened and closed, errors, session logs). Default: none. */
  readonly onEvent?: (event: Event) => void;
}

/** Options of `close()`. */
export interface ServerCloseOptions {
  /** How long sessions may take to finish the messages they already received, in ms. Default: the server's `DEFAULT_GRACE_MS`. */
  readonly graceMs?: number;
}

/**
 * A server: `listen()` binds and resolves with the bound address (rejects with `ERR_LISTEN`, or
 * `ERR_SERVER_CLOSED` once closed); `close()` is a graceful, idempotent shutdown that lets every
 * session finish what it received (ending with `kind: 'shutdown'`), closes what is left after
 * `graceMs`, and resolves once everything is closed.
 */
export interface NetServer<Address, Stats> {
  listen(): Promise<Address>;
  /** The bound address once listening. */
  readonly address: Address | undefined;
  /** A snapshot of the counters. */
  stats(): Stats;
  close(options?: ServerCloseOptions): Promise<void>;
}

/** The part of an event emitter `startOnce` needs (a `net.Server`, a `dgram.Socket`). */
export interface ErrorEmitter {
  once(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/** The address, port, clock and event hook of `options`, defaults filled in. */
export function resolveNetServerOptions<Event>(options: NetServerOptions<Event>): {
  readonly host: string;
  readonly port: number;
  readonly clock: Clock;
  readonly onEvent: (event: Event) => void;
} {
  return {
    host: options.host ?? DEFAULT_HOST,
    port: options.port ?? 0,
    clock: options.clock ?? systemClock,
    onEvent: options.onEvent ?? ((): void => undefined),
  };
}

/** Runs `start(done)` with a one-shot `error` listener on `emitter`: resolves when `done` is called, rejects with the first error before that. */
export function startOnce(emitter: ErrorEmitter, start: (done: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(error);
    };
    emitter.once('error', onError);
    start(() => {
      emitter.off('error', onError);
      resolve();
    });
  });
}

/** Resolves when `settled` does or `graceMs` have passed on `clock`, whichever comes first (the timer is cleared). */
export async function withinGrace(settled: Promise<void>, graceMs: number, clock: Clock): Promise<void> {
  let timer: unknown;
  try {
    await Promise.race([
      settled,
      new Promise<void>((resolve) => {
        timer = clock.setTimeout(resolve, graceMs);
      }),
    ]);
  } finally {
    clock.clearTimeout(timer);
  }
}
