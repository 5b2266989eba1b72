/**
 * The service contract, executable: one sans-I/O state machine per session that every adapter
 * (TCP connection, UDP peer session, `connectLocal`, the simulated network) drives, so the rules
 * of `contract.ts` are written once.
 *
 * Inputs (from the adapter): `open()`; `deliver(message)` for each decoded message, then
 * `pump()` once the batch (a received chunk, a datagram) is in; `endOfInput(reason?)` when the peer
 * will send no more; `malformedInput(error)` when the codec rejected the stream; `shutdown()`;
 * `abort(reason, mode)` and `fail(error, mode)` to end it now. The service's own inputs come
 * through the driver itself, which is the session's `ctx`.
 * Outputs (to the adapter, a {@link SessionHost}): `write(message, reply)` for each message to
 * send, in order; `flush()` at the end of each batch; `flowChanged()` when `wantsInput` may have
 * changed (pause or resume reading); `closed(reason, mode)` once; `report(error)` at most once.
 *
 * Rules it enforces:
 * - `receive` is called for one message at a time, in order; a returned promise is awaited before
 *   the next message. Its replies are written before anything a later receive returns; messages
 *   the session sends through `ctx.send` are written when sent.
 * - Replies of one batch are written together: `flush()` follows the batch (and `open()`, so a
 *   greeting is one write), which is what adapters coalesce on.
 * - `ctx.close(reason)` ends the session once the receive in progress (if any) has settled and
 *   its replies are written; the messages still queued are dropped. `ctx.send` returns false from
 *   then on, and `ctx.closed` is true.
 * - The peer's end, malformed input and shutdown end the session only after every message already
 *   delivered has been received (malformed input is then answered with `service.malformed`).
 * - A throwing `open`, `receive` (or rejecting promise), `malformed` or `close` is contained to
 *   this session: it ends with `kind: 'error'` (the adapter builds the typed error through
 *   `host.failure`), and at most one error per session is reported.
 * - `session.close(reason)` is called exactly once, whatever ends the session, and then
 *   `host.closed` is called exactly once.
 *
 * State: `phase` is `opening` (inside `service.open`), `open`, `closing` (the session asked to
 * close; waiting for its receive) or `closed`; `activity` is `idle`, `pumping` (inside receive
 * calls or `open`) or `awaiting` (a receive promise is pending).
 *
 * Memory: a driver is one object per session with its methods on the prototype (a server holds
 * thousands); the message queue is a shared empty array until something waits in it.
 */
import { isPromiseLike } from '@netlab/ground';
import type { CloseReason, Peer, Service, Session, SessionContext } from './contract.js';

/** How an adapter ends its transport: after pending output (`graceful`) or at once (`destroy`). */
export type CloseMode = 'graceful' | 'destroy';

/** Something the service did wrong, for the adapter to turn into its own typed error. */
export type SessionFailure =
  /** `service.open`, `session.receive` (or its promise), `service.malformed` or `session.close` threw. */
  | { readonly kind: 'open' | 'receive' | 'malformed' | 'close'; readonly cause: unknown }
  /** The codec rejected the peer's bytes (the stream can no longer be trusted). */
  | { readonly kind: 'input'; readonly cause: Error & { readonly code?: string } };

/** The adapter side of a driver: socket glue only. */
export interface SessionHost<Out> {
  /**
   * Queues `message` for the peer; `reply` is true for a receive's replies, false for `ctx.send`
   * (which may come from outside any batch: another session, a timer). Returns false when the
   * message was not taken (the transport is gone, or a limit ended the session).
   */
  write(message: Out, reply: boolean): boolean;
  /** A batch is complete: write what was queued. */
  flush(): void;
  /** Optional: one receive has settled and its `replies` were written (`connectLocal` resolves a send on it). */
  received?(replies: readonly Out[]): void;
  /** `wantsInput` may have changed: pause or resume reading. */
  flowChanged(): void;
  /** The session has ended (called once, after `session.close`): end the transport. */
  closed(reason: CloseReason, mode: CloseMode): void;
  /** The adapter's typed error for a failure of the service (`ERR_SESSION_FAILED`, `ERR_MALFORMED_INPUT`). */
  failure(failure: SessionFailure): Error;
  /** Reports an error (events, counters). The driver calls it at most once per session. */
  report(error: Error): void;
  /** `ctx.log`. */
  log(message: string): void;
  /** `ctx.now`: ms since the Unix epoch, from the adapter's clock. */
  now(): number;
}

/** What every session of one server shares (one object per server, not per session). */
export interface SessionDriverOptions<In, Out> {
  /** The service to open sessions of. Required. */
  readonly service: Service<In, Out>;
  /** Messages queued before `wantsInput` turns false. Default {@link DEFAULT_DRIVER_MAX_QUEUED}. */
  readonly maxQueued?: number;
}

/** Default messages queued before `wantsInput` turns false: 256. */
export const DEFAULT_DRIVER_MAX_QUEUED = 256;

export type SessionPhase = 'opening' | 'open' | 'closing' | 'closed';
export type SessionActivity = 'idle' | 'pumping' | 'awaiting';

const NO_MESSAGES: readonly never[] = Object.freeze([]);

/** One session driven by the contract's rules; the driver is the session's `ctx`. */
export class SessionDriver<In, Out> implements SessionContext<Out> {
  private session: Session<In, Out> | undefined;
  private queue: readonly In[] = NO_MESSAGES;
  private head = 0;
  private phaseNow: SessionPhase = 'opening';
  private activityNow: SessionActivity = 'idle';
  /**
   * How the session ends: while open, once every delivered message is received (the peer's end,
   * shutdown); while closing, the local close; once closed, the reason it ended with.
   */
  private endReason: CloseReason | undefined;
  /** The codec's error, answered once every delivered message is received. */
  private malformed: (Error & { readonly code?: string }) | undefined;
  private reported = false;

  constructor(
    private readonly options: SessionDriverOptions<In, Out>,
    readonly peer: Peer,
    private readonly host: SessionHost<Out>,
  ) {}

  get phase(): SessionPhase {
    return this.phaseNow;
  }

  get activity(): SessionActivity {
    return this.activityNow;
  }

  /** Why the session ended, once `phase` is `closed`. */
  get reason(): CloseReason | undefined {
    return this.phaseNow === 'closed' ? this.endReason : undefined;
  }

  /** A receive promise is pending (time spent there is not the peer's silence). */
  get busy(): boolean {
    return this.activityNow === 'awaiting';
  }

  /** Inside `open` or receive calls: a `ctx.send` now belongs to the batch being built. */
  get inBatch(): boolean {
    return this.activityNow === 'pumping';
  }

  /** Messages delivered and not yet received. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** True while the adapter should keep reading: open, not awaiting, nothing pending, queue below its cap. */
  get wantsInput(): boolean {
    return this.phaseNow === 'open' && this.activityNow !== 'awaiting' && this.malformed === undefined && this.queue.length - this.head < (this.options.maxQueued ?? DEFAULT_DRIVER_MAX_QUEUED);
  }

  // ---- SessionContext (the service's side) ----

  get closed(): boolean {
    return this.phaseNow === 'closing' || this.phaseNow === 'closed';
  }

  send(message: Out): boolean {
    if (this.phaseNow === 'closing' || this.phaseNow === 'closed') return false;
    return this.host.write(message, false);
  }

  close(reason?: string): void {
    if (this.phaseNow === 'closing' || this.phaseNow === 'closed') return;
    this.phaseNow = 'closing';
    // The session's own close wins over a pending peer's end or shutdown.
    this.endReason = reason === undefined ? { kind: 'local' } : { kind: 'local', message: reason };
    if (this.activityNow === 'idle') this.settle();
  }

  log(message: string): void {
    this.host.log(message);
  }

  now(): number {
    return this.host.now();
  }

  // ---- Inputs (the adapter's side) ----

  /** Opens the session: `service.open(peer, ctx)`; what it sends is one batch. */
  open(): void {
    this.activityNow = 'pumping';
    let session: Session<In, Out>;
    try {
      session = this.options.service.open(this.peer, this);
    } catch (error) {
      this.activityNow = 'idle';
      this.failSession('open', error);
      return;
    }
    this.activityNow = 'idle';
    if (this.phaseNow === 'closed') {
      // Ended while opening (a write failed): the session exists only now, so close it now.
      this.session = session;
      this.closeSession(this.endReason ?? { kind: 'local' });
      return;
    }
    this.session = session;
    if (this.phaseNow === 'opening') this.phaseNow = 'open';
    this.host.flush();
    this.settle();
  }

  /** Queues one decoded message; call `pump()` once the batch is in. Dropped once closed. */
  deliver(message: In): void {
    if (this.phaseNow === 'closed') return;
    if (this.head >= this.queue.length) {
      this.queue = [message];
      this.head = 0;
    } else {
      (this.queue as In[]).push(message);
    }
  }

  /** Receives queued messages until one returns a promise, flushes their replies, then settles. */
  pump(): void {
    if (this.activityNow !== 'idle' || this.phaseNow === 'opening' || this.phaseNow === 'closed') return;
    this.run(undefined);
  }

  /** The peer will send nothing more: end with `reason` (default `remote`) once the queue is received. */
  endOfInput(reason: CloseReason = { kind: 'remote' }): void {
    if (this.phaseNow === 'closed') return;
    if (this.phaseNow !== 'closing') this.endReason = reason;
    this.pump();
  }

  /** The codec rejected the stream: answer with `service.malformed` once the queue is received, then end. */
  malformedInput(error: Error & { readonly code?: string }): void {
    if (this.phaseNow === 'closed') return;
    this.malformed ??= error;
    this.pump();
  }

  /** The server is stopping: end with `shutdown` once the queue is received (unless the peer's end comes first). */
  shutdown(): void {
    if (this.phaseNow === 'closed') return;
    this.endReason ??= { kind: 'shutdown' };
    this.pump();
  }

  /** Ends the session now (idle, expiry, eviction, a forced shutdown, the socket gone). No-op once closed. */
  abort(reason: CloseReason, mode: CloseMode): void {
    if (this.phaseNow !== 'closed') this.finish(reason, mode);
  }

  /** An adapter error (socket, encoding, output cap): reported once, then the session ends with `kind: 'error'`. */
  fail(error: Error, mode: CloseMode): void {
    if (this.phaseNow === 'closed') return;
    this.reportOnce(error);
    this.finish({ kind: 'error', message: error.message, error }, mode);
  }

  // ---- The rules ----

  private run(initial: readonly Out[] | undefined): void {
    this.activityNow = 'pumping';
    if (initial !== undefined) {
      for (const reply of initial) this.output(reply);
      this.host.received?.(initial);
    }
    const session = this.session;
    while (session !== undefined && this.phaseNow === 'open' && this.head < this.queue.length) {
      const message = this.queue[this.head] as In;
      this.head += 1;
      let result: readonly Out[] | PromiseLike<readonly Out[]>;
      try {
        result = session.receive(message);
      } catch (error) {
        this.activityNow = 'idle';
        this.host.flush();
        this.failSession('receive', error);
        return;
      }
      if (isPromiseLike(result)) {
        this.activityNow = 'awaiting';
        result.then(
          (replies) => {
            this.settled(replies);
          },
          (error: unknown) => {
            this.activityNow = 'idle';
            this.failSession('receive', error);
          },
        );
        break;
      }
      for (const reply of result) this.output(reply);
      this.host.received?.(result);
    }
    if (this.head >= this.queue.length && this.head > 0) {
      this.queue = NO_MESSAGES;
      this.head = 0;
    }
    if (this.activityNow === 'pumping') this.activityNow = 'idle';
    this.host.flush();
    if (this.phaseNow === 'closed') return;
    if (this.activityNow === 'idle') this.settle();
    // Read through a method: settle() may have closed the session, which narrowing cannot see.
    if (!this.isOver()) this.host.flowChanged();
  }

  private isOver(): boolean {
    return this.phaseNow === 'closed';
  }

  private settled(replies: readonly Out[]): void {
    this.activityNow = 'idle';
    if (this.phaseNow !== 'closed') this.run(replies);
  }

  private output(message: Out): void {
    if (this.phaseNow !== 'closed') this.host.write(message, true);
  }

  /** With no receive in progress: end the session if something asked for it and nothing is left to receive. */
  private settle(): void {
    if (this.session === undefined) return;
    if (this.phaseNow === 'closing') {
      this.finish(this.endReason ?? { kind: 'local' }, 'graceful');
      return;
    }
    if (this.phaseNow !== 'open' || this.head < this.queue.length) return;
    const malformed = this.malformed;
    if (malformed !== undefined) {
      let replies: readonly Out[];
      try {
        replies = this.options.service.malformed?.(malformed, this.peer) ?? NO_MESSAGES;
      } catch (error) {
        this.failSession('malformed', error);
        return;
      }
      for (const reply of replies) this.output(reply);
      // A graceful end writes the waiting output, these replies included, before closing.
      this.fail(this.host.failure({ kind: 'input', cause: malformed }), 'graceful');
      return;
    }
    if (this.endReason !== undefined) this.finish(this.endReason, 'graceful');
  }

  private failSession(kind: 'open' | 'receive' | 'malformed', cause: unknown): void {
    this.fail(this.host.failure({ kind, cause }), 'destroy');
  }

  private reportOnce(error: Error): void {
    if (this.reported) return;
    this.reported = true;
    this.host.report(error);
  }

  private finish(reason: CloseReason, mode: CloseMode): void {
    this.phaseNow = 'closed';
    this.endReason = reason;
    this.queue = NO_MESSAGES;
    this.head = 0;
    this.closeSession(reason);
    this.host.closed(reason, mode);
  }

  private closeSession(reason: CloseReason): void {
    const session = this.session;
    this.session = undefined;
    if (session?.close === undefined) return;
    try {
      session.close(reason);
    } catch (error) {
      this.reportOnce(this.host.failure({ kind: 'close', cause: error }));
    }
  }
}
