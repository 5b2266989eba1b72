/**
 * The client: `call(payload)` allocates the next sequence number, sends the request through the
 * injected `send` function, retransmits the same id (exponential backoff, jitter) until a reply
 * arrives through `receive(reply)`, and resolves with the effect's value. Transport-neutral: over
 * TCP call `resend()` after a reconnect; over UDP lost, duplicated and reordered datagrams are
 * covered by retransmission and by ignoring replies that resolve nothing.
 *
 * When it gives up it rejects with `ERR_OUTCOME_UNKNOWN`: the request may or may not have run.
 * The id is kept (the watermark stays below it, so the server keeps its record), and
 * `retry(seq)` resends it and resolves with the recorded outcome.
 *
 * With an `outbox`, the client's id, counter, watermark and unresolved requests are saved
 * synchronously before anything is sent; a client created on the same outbox resumes them
 * (`recovered`) with their original ids.
 */
import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '@netlab/ground';
import type { JsonValue } from './core/canonical-json.js';
import { type ClientCoreOptions, type ClientCoreStats, type ClientEvent, type ClientOutput, ClientCore } from './core/client-core.js';
import type { ReplyEnvelope, RequestEnvelope } from './core/messages.js';
import { RequestLogError } from './errors.js';
import type { Outbox } from './outbox.js';

/** Time and timers: the one netlab `Clock` of `@netlab/ground` (this name is kept for compatibility). */
export type ClientClock = Clock;

/** `Date.now` and unref'd Node timers: `systemClock` of `@netlab/ground` (this name is kept for compatibility). */
export const systemClientClock: ClientClock = systemClock;

export interface ClientOptions extends Omit<ClientCoreOptions, 'clientId' | 'restore'> {
  /** Transmits one request (fire and forget: a failed send is covered by retransmission). Required. */
  readonly send: (request: RequestEnvelope) => void;
  /** This client's id. Default: the outbox's saved id, else a random UUID. */
  readonly clientId?: string;
  /** Durable storage of unresolved requests (e.g. `createSqliteOutbox`). Default: none. */
  readonly outbox?: Outbox;
  /** Default {@link systemClientClock}. */
  readonly clock?: ClientClock;
}

/** A request recovered from the outbox after a restart, being resent under its original id. */
export interface RecoveredCall {
  readonly seq: number;
  readonly payload: JsonValue;
  readonly result: Promise<JsonValue>;
}

export interface Client {
  readonly clientId: string;
  /** The ack watermark sent with every request. */
  readonly ack: number;
  /** Requests found in the outbox at creation, already being resent. */
  readonly recovered: readonly RecoveredCall[];
  /** Runs `payload` exactly once on the server; resolves with the effect's value. */
  call(payload: JsonValue): Promise<JsonValue>;
  /** Feeds one reply from the transport. */
  receive(reply: ReplyEnvelope): void;
  /** Resends every outstanding request now (call after a reconnect). */
  resend(): void;
  /** Resends an `ERR_OUTCOME_UNKNOWN` request (same id) and resolves with its recorded outcome. */
  retry(seq: number): Promise<JsonValue>;
  /** Abandons an unknown outcome for good (lets the watermark pass it). */
  forget(seq: number): void;
  /** Every envelope sent from now on (retransmissions included) carries its MAC under `key` (`undefined`: none). */
  authenticate(key: Uint8Array | undefined): void;
  stats(): ClientCoreStats;
  /** Stops timers; outstanding calls reject with `ERR_CLOSED` (their outcome is unknown). */
  close(): void;
}

interface Waiter {
  resolve(value: JsonValue): void;
  reject(error: Error): void;
}

/** Creates a client (see the module comment). */
export function createClient(options: ClientOptions): Client {
  const clock = options.clock ?? systemClientClock;
  const outbox = options.outbox;
  const saved = outbox?.load();
  const clientId = saved?.clientId ?? options.clientId ?? randomUUID();
  if (saved !== undefined && options.clientId !== undefined && options.clientId !== saved.clientId) {
    throw new RequestLogError('ERR_INVALID_OPTION', `the outbox belongs to client ${saved.clientId}, not ${options.clientId}`);
  }
  const { send, clock: _clock, outbox: _outbox, clientId: _id, ...coreOptions } = options;
  const core = new ClientCore({ ...coreOptions, clientId, ...(saved === undefined ? {} : { restore: saved }) });
  const waiters = new Map<number, Waiter>();
  let timer: unknown;
  let closed = false;

  function persist(add: readonly { seq: number; payload: JsonValue }[], remove: readonly number[]): void {
    outbox?.save({ clientId, nextSeq: core.nextSeq, ack: core.ack, add, remove });
  }

  function deliver(event: ClientEvent): void {
    const waiter = waiters.get(event.seq);
    if (waiter === undefined) return;
    waiters.delete(event.seq);
    if (event.type === 'done') waiter.resolve(event.value);
    else waiter.reject(event.error);
  }

  function apply(output: ClientOutput): void {
    const removed = output.events.filter((event) => event.type !== 'unknown' || core.expired).map((event) => event.seq);
    if (removed.length > 0) persist([], removed);
    for (const event of output.events) deliver(event);
    for (const request of output.send) {
      try {
        send(request);
      } catch {
        // A transport that cannot send now (disconnected): retransmission will try again.
      }
    }
    schedule();
  }

  function schedule(): void {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
    const deadline = core.nextDeadline();
    if (deadline === undefined || closed) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      if (!closed) apply(core.poll(clock.now()));
    }, Math.max(0, deadline - clock.now()));
  }

  function wait(seq: number): Promise<JsonValue> {
    return new Promise<JsonValue>((resolve, reject) => {
      waiters.set(seq, { resolve, reject });
    });
  }

  const recovered: RecoveredCall[] = core.pending().map(({ seq, payload }) => ({ seq, payload, result: wait(seq) }));
  // Recovered calls are the caller's to observe; never let one become an unhandled rejection.
  for (const call of recovered) call.result.catch(() => undefined);
  if (recovered.length > 0) apply(core.poll(clock.now()));

  function assertOpen(): void {
    if (closed) throw new RequestLogError('ERR_CLOSED', 'client is closed');
  }

  return {
    clientId,
    get ack() {
      return core.ack;
    },
    recovered,
    call(payload) {
      try {
        assertOpen();
        const { seq, output } = core.submit(payload, clock.now());
        persist([{ seq, payload }], []);
        const result = wait(seq);
        apply(output);
        return result;
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    receive(reply) {
      if (!closed) apply(core.receive(reply, clock.now()));
    },
    resend() {
      if (!closed) apply(core.resendAll(clock.now()));
    },
    retry(seq) {
      try {
        assertOpen();
        const output = core.retry(seq, clock.now());
        const result = wait(seq);
        apply(output);
        return result;
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    forget(seq) {
      assertOpen();
      const output = core.forget(seq, clock.now());
      persist([], [seq]);
      apply(output);
    },
    authenticate(key) {
      core.authenticate(key);
    },
    stats: () => core.stats(),
    close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      for (const [seq, waiter] of waiters) {
        waiter.reject(new RequestLogError('ERR_CLOSED', 'client closed before a reply: outcome unknown', { clientId, seq }));
      }
      waiters.clear();
    },
  };
}
