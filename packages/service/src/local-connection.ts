/**
 * `connectLocal`: the in-memory adapter of the session driver, for unit tests of services,
 * simulations and demos. No codec, no bytes: messages go in and out as values, by the same rules
 * a socket transport keeps (it is the same driver): receives one at a time, in order, even when
 * `send` is called again before the previous one resolved; replies written in order; `close`
 * exactly once.
 */
import { type Clock, systemClock } from '@netlab/ground';
import type { CloseReason, Peer, Service } from './contract.js';
import { ServiceError, isServiceError } from './errors.js';
import { SessionDriver, type SessionFailure, type SessionHost } from './session-driver.js';

export interface LocalConnectionOptions {
  /** The peer the service sees. Default: a `local` peer with a unique id. */
  readonly peer?: Peer;
  /** Clock behind `ctx.now()` (the one netlab clock). Default `systemClock` from `@netlab/ground`. */
  readonly clock?: Clock;
  /** Clock for `ctx.now()` alone, in ms since the epoch. Kept for older tests; `clock` wins when both are given. Default: `clock.now`. */
  readonly now?: () => number;
  /** Receives `ctx.log` lines. Default: discarded. */
  readonly log?: (line: string) => void;
}

/**
 * One in-memory connection to a service, the way a transport would drive it, with no I/O.
 */
export interface LocalConnection<In, Out> {
  readonly peer: Peer;
  /** Every message the service has sent on this connection, in order (replies and pushes). */
  readonly sent: readonly Out[];
  readonly closed: boolean;
  readonly closeReason: CloseReason | undefined;
  /**
   * Delivers one message and resolves with the replies of its `receive` call. Messages sent
   * before earlier ones resolved wait their turn. Rejects with `ERR_SESSION_CLOSED` when the
   * connection is closed (or closes before the message is received), and with the service's own
   * error when its `receive` throws (the connection then ends with `kind: 'error'`).
   */
  send(message: In): Promise<readonly Out[]>;
  /** Removes and returns everything sent since the last `take()`. */
  take(): Out[];
  /** Ends the connection from the peer's side (`kind: 'remote'`), after the messages already sent. */
  close(): void;
  /** Ends the connection from the server's side (`kind: 'shutdown'`), after the messages already sent. */
  shutdown(): void;
  /** Ends the connection now, whatever is in progress (default reason: `shutdown`, a grace period elapsed). */
  abort(reason?: CloseReason): void;
  /** Resolves with the close reason once the connection has ended. */
  readonly done: Promise<CloseReason>;
}

interface PendingSend<Out> {
  resolve(replies: readonly Out[]): void;
  reject(error: Error): void;
}

let nextLocalId = 1;

class Local<In, Out> implements LocalConnection<In, Out> {
  readonly sent: Out[] = [];
  closeReason: CloseReason | undefined;
  driver: SessionDriver<In, Out> | undefined;
  /** Sends whose message the session has not received yet, in order. */
  readonly waiting: PendingSend<Out>[] = [];
  readonly done: Promise<CloseReason>;
  private resolveDone: (reason: CloseReason) => void = () => undefined;
  private taken = 0;

  constructor(readonly peer: Peer) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  send(message: In): Promise<readonly Out[]> {
    const driver = this.driver;
    if (driver === undefined || driver.closed) return Promise.reject(new ServiceError('ERR_SESSION_CLOSED', `connection ${this.peer.id} is closed`));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      driver.deliver(message);
      driver.pump();
    });
  }

  take(): Out[] {
    const fresh = this.sent.slice(this.taken);
    this.taken = this.sent.length;
    return fresh;
  }

  close(): void {
    this.driver?.endOfInput({ kind: 'remote' });
  }

  shutdown(): void {
    this.driver?.shutdown();
  }

  abort(reason: CloseReason = { kind: 'shutdown', message: 'shutdown grace period elapsed' }): void {
    this.driver?.abort(reason, 'destroy');
  }

  /** The glue of a socket adapter, with values instead of bytes. */
  host(now: () => number, log: (line: string) => void): SessionHost<Out> {
    return {
      write: (message) => {
        if (this.closeReason !== undefined) return false;
        this.sent.push(message);
        return true;
      },
      // Nothing to coalesce and nothing to pause: messages are values, and the driver queues them.
      flush: () => undefined,
      flowChanged: () => undefined,
      received: (replies) => {
        this.waiting.shift()?.resolve(replies);
      },
      closed: (reason: CloseReason) => {
        this.closeReason = reason;
        const waiting = this.waiting.splice(0);
        // A receive that threw ends the session with its error as the reason: its send rejects with it.
        if (reason.kind === 'error' && reason.error !== undefined && !isServiceError(reason.error, 'ERR_SESSION_CLOSED')) waiting.shift()?.reject(reason.error);
        const error = new ServiceError('ERR_SESSION_CLOSED', `connection ${this.peer.id} closed (${reason.kind}) before the message was received`);
        for (const pending of waiting) pending.reject(error);
        this.resolveDone(reason);
      },
      // The failing send rejects with the service's own error; there is nowhere else to report.
      failure: (failure: SessionFailure) =>
        failure.cause instanceof Error ? failure.cause : new ServiceError('ERR_SESSION_FAILED', `service failed on ${this.peer.id}: ${String(failure.cause)}`),
      report: () => undefined,
      log,
      now,
    };
  }
}

/** Opens a {@link LocalConnection} to `service`. */
export function connectLocal<In, Out>(service: Service<In, Out>, options: LocalConnectionOptions = {}): LocalConnection<In, Out> {
  const peer: Peer = options.peer ?? { transport: 'local', address: 'local', port: 0, id: `local#${nextLocalId++}` };
  const clock = options.clock ?? systemClock;
  const now = options.clock === undefined && options.now !== undefined ? options.now : (): number => clock.now();
  const local = new Local<In, Out>(peer);
  const host = local.host(now, options.log ?? ((): void => undefined));
  // No cap on queued messages: nothing to pause, and a test's sends are bounded by the test.
  local.driver = new SessionDriver<In, Out>({ service, maxQueued: Number.MAX_SAFE_INTEGER }, peer, host);
  local.driver.open();
  return local;
}
