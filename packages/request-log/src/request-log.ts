/**
 * The server side: `createRequestLog({ store }).execute(request, effect)` turns one request
 * envelope into one reply envelope, running `effect` at most once per request id over the life
 * of the store, and exactly once for every request whose reply the client received.
 *
 * Concurrency inside one process: a duplicate that arrives while its original is still running
 * waits for it (at most `waitTimeoutMs`), then asks the store, which replays the record; if the
 * original is still running it gets `ERR_IN_PROGRESS` (retry the same id). Across processes
 * (replicas on one PostgreSQL) the database's row lock does the same job. `maxPending` bounds the
 * requests in progress; beyond it requests get `ERR_UNAVAILABLE` without touching the store.
 */
import { type JsonValue, canonicalJson } from './core/canonical-json.js';
import type { LoggedRequest } from './core/decide.js';
import { fingerprintCanonical } from './core/fingerprint.js';
import type { ErrorReply, ReplyEnvelope, ReplyErrorCode, RequestEnvelope } from './core/messages.js';
import type { RequestLogStore, StoreOutcome } from './core/store.js';
import { REQUEST_LOG_ERROR_CODES, RequestLogError, assertIntegerOption } from './errors.js';
import { type Clock, MAX_TIMER_MS, isPromiseLike, systemClock } from '@netlab/ground';

/** Default in-flight window per client: 32 requests above the watermark. */
export const DEFAULT_MAX_IN_FLIGHT = 32;
/** Default lease: a client idle for 24 hours is forgotten. */
export const DEFAULT_LEASE_MS = 24 * 60 * 60 * 1000;
/** Default interval between sweeps of expired clients: 60 s. */
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
/** Default bound on how long a concurrent duplicate waits for its original: 5 s. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5_000;
/** Default bound on requests in progress at once: 4096. */
export const DEFAULT_MAX_PENDING = 4_096;

export interface RequestLogOptions<E> {
  /** Where completion records live (memory, SQLite, PostgreSQL). Required. */
  readonly store: RequestLogStore<E>;
  /**
   * Largest `seq − watermark` accepted; a client's records never exceed this many. Clients must
   * use a window no larger. Default {@link DEFAULT_MAX_IN_FLIGHT}.
   */
  readonly maxInFlight?: number;
  /**
   * A client not seen for this long is forgotten with its records (see the README for what that
   * costs). Default {@link DEFAULT_LEASE_MS}.
   */
  readonly leaseMs?: number;
  /**
   * A client that never acknowledged a reply (watermark 0: every request it sent may be its
   * first, like an ATM's login) is forgotten after this much idleness, sooner than `leaseMs`; so
   * clients that only ever send one request (a failed login, then a new client id) cannot pile up
   * for a whole lease. Must not exceed `leaseMs`; keep it above the clients' retry horizon, as
   * for `leaseMs`. Default: `leaseMs` (no shorter lease).
   */
  readonly unacknowledgedLeaseMs?: number;
  /** How often `execute` triggers a sweep of expired clients; 0 disables automatic sweeps. Default {@link DEFAULT_SWEEP_INTERVAL_MS}. */
  readonly sweepIntervalMs?: number;
  /** How long a concurrent duplicate waits for its original. Default {@link DEFAULT_WAIT_TIMEOUT_MS}. */
  readonly waitTimeoutMs?: number;
  /** Requests in progress at once (a bound on memory). Default {@link DEFAULT_MAX_PENDING}. */
  readonly maxPending?: number;
  /**
   * Time and timers: the lease, sweeps and the bounded wait of a concurrent duplicate all run on
   * it (a manual or simulated clock drives them without waiting). Default `systemClock` from
   * `@netlab/ground`.
   */
  readonly clock?: Clock;
  /**
   * Clock in ms, for `now()` alone (timers then stay on the wall clock). Kept for compatibility:
   * pass `clock` instead; when both are given, `clock` wins. Default `clock.now`.
   */
  readonly now?: () => number;
}

/** Counters since creation. */
export interface RequestLogStats {
  /** Effects run and committed (including effects that threw and were recorded as failed). */
  readonly fresh: number;
  /** Duplicates answered from a completion record. */
  readonly duplicates: number;
  readonly stale: number;
  readonly mismatches: number;
  readonly inProgress: number;
  readonly expired: number;
  readonly windowExceeded: number;
  readonly invalid: number;
  readonly unavailable: number;
  /** Clients forgotten by lease sweeps. */
  readonly swept: number;
}

export interface RequestLog<E> {
  /** Runs `effect` for `request` at most once; resolves to the reply envelope to send (never rejects). */
  execute(request: RequestEnvelope, effect: E): Promise<ReplyEnvelope>;
  /**
   * The same as `execute`, but returns the reply itself when it could be made synchronously (a
   * store with `executeSync`, such as memory, and no original of this id in progress), a promise
   * otherwise; never throws or rejects. For callers that may answer synchronously, such as a
   * service's `receive`: it saves a promise and a microtask turn per request.
   */
  executeNow(request: RequestEnvelope, effect: E): ReplyEnvelope | Promise<ReplyEnvelope>;
  /** Forgets clients idle longer than the lease now; resolves to how many. */
  sweep(): Promise<number>;
  stats(): RequestLogStats;
  /** Waits for requests in progress, then closes the store. */
  close(): Promise<void>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A request with its canonical payload; the fingerprint is hashed only if a store asks for it. */
class Logged implements LoggedRequest {
  readonly clientId: string;
  readonly seq: number;
  readonly ack: number;
  readonly payload: JsonValue;
  readonly canonical: string;
  private hash: string | undefined;

  constructor(envelope: RequestEnvelope) {
    this.clientId = envelope.clientId;
    this.seq = envelope.seq;
    this.ack = envelope.ack;
    this.payload = envelope.payload;
    this.canonical = canonicalJson(envelope.payload);
  }

  get fingerprint(): string {
    this.hash ??= fingerprintCanonical(this.canonical);
    return this.hash;
  }
}


function errorReply(
  request: Pick<RequestEnvelope, 'clientId' | 'seq'>,
  code: ReplyErrorCode,
  message: string = REQUEST_LOG_ERROR_CODES[code],
  extra: { fields?: readonly string[]; ack?: number } = {},
): ErrorReply {
  return { kind: 'reply', clientId: request.clientId, seq: request.seq, status: 'error', code, message, ...extra };
}

/** Creates the server side of the request log. */
export function createRequestLog<E>(options: RequestLogOptions<E>): RequestLog<E> {
  const store = options.store;
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const unacknowledgedLeaseMs = options.unacknowledgedLeaseMs ?? leaseMs;
  const sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  const waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  const clock = options.clock ?? systemClock;
  const now = options.clock === undefined && options.now !== undefined ? options.now : (): number => clock.now();
  assertIntegerOption('maxInFlight', maxInFlight, 1, 1_000_000);
  assertIntegerOption('leaseMs', leaseMs, 1, Number.MAX_SAFE_INTEGER);
  assertIntegerOption('unacknowledgedLeaseMs', unacknowledgedLeaseMs, 1, leaseMs);
  assertIntegerOption('sweepIntervalMs', sweepIntervalMs, 0, Number.MAX_SAFE_INTEGER);
  assertIntegerOption('waitTimeoutMs', waitTimeoutMs, 0, MAX_TIMER_MS);
  assertIntegerOption('maxPending', maxPending, 1, 10_000_000);

  const stats: Mutable<RequestLogStats> = {
    fresh: 0,
    duplicates: 0,
    stale: 0,
    mismatches: 0,
    inProgress: 0,
    expired: 0,
    windowExceeded: 0,
    invalid: 0,
    unavailable: 0,
    swept: 0,
  };
  /** Requests in progress, by id: a duplicate waits on the original's promise. */
  const running = new Map<string, Promise<unknown>>();
  let lastSweep = now();
  let closed = false;

  function toReply(request: LoggedRequest, outcome: StoreOutcome): ReplyEnvelope {
    const id = request;
    switch (outcome.kind) {
      case 'fresh':
        stats.fresh++;
        return { kind: 'reply', clientId: request.clientId, seq: request.seq, status: 'done', replay: false, body: outcome.reply };
      case 'replay':
        stats.duplicates++;
        return { kind: 'reply', clientId: request.clientId, seq: request.seq, status: 'done', replay: true, body: outcome.reply };
      case 'stale':
        stats.stale++;
        return errorReply(id, 'ERR_STALE', `seq ${request.seq} is at or below the acknowledged watermark ${outcome.ack}`, {
          ack: outcome.ack,
        });
      case 'mismatch':
        stats.mismatches++;
        return errorReply(id, 'ERR_MISMATCH', `request id reused with a different payload (fields: ${outcome.fields.join(', ')})`, {
          fields: outcome.fields,
        });
      case 'window':
        stats.windowExceeded++;
        return errorReply(id, 'ERR_WINDOW_EXCEEDED', `seq ${request.seq} is more than ${outcome.maxInFlight} above the watermark ${outcome.ack}`, {
          ack: outcome.ack,
        });
      case 'expired':
        stats.expired++;
        return errorReply(id, 'ERR_SESSION_EXPIRED');
    }
  }

  function maybeSweep(at: number): void {
    if (sweepIntervalMs === 0 || at - lastSweep < sweepIntervalMs) return;
    lastSweep = at;
    // A failed sweep is retried at the next interval; it never fails a request.
    sweep().catch(() => undefined);
  }

  async function sweep(): Promise<number> {
    const at = now();
    const count = unacknowledgedLeaseMs < leaseMs ? await store.expire(at - leaseMs, at - unacknowledgedLeaseMs) : await store.expire(at - leaseMs);
    stats.swept += count;
    return count;
  }

  async function waitFor(original: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: unknown;
    const timeout = new Promise<false>((resolve) => {
      timer = clock.setTimeout(() => {
        resolve(false);
      }, ms);
    });
    try {
      return await Promise.race([original.then(() => true, () => true), timeout]);
    } finally {
      clock.clearTimeout(timer);
    }
  }

  const executeSync = store.executeSync?.bind(store);

  /** The request, validated and with its canonical payload, or the error reply that answers it. */
  function admit(envelope: RequestEnvelope): Logged | ErrorReply {
    if (closed) {
      stats.unavailable++;
      return errorReply(envelope, 'ERR_UNAVAILABLE', 'server is closing');
    }
    try {
      if (!Number.isSafeInteger(envelope.seq) || envelope.seq < 1 || !Number.isSafeInteger(envelope.ack) || envelope.ack < 0 || envelope.ack >= envelope.seq) {
        throw new RequestLogError('ERR_INVALID_REQUEST', 'seq must be a positive integer and ack an integer in [0, seq)');
      }
      return new Logged(envelope);
    } catch (error) {
      stats.invalid++;
      return errorReply(envelope, 'ERR_INVALID_REQUEST', error instanceof Error ? error.message : undefined);
    }
  }

  const keyOf = (request: LoggedRequest): string => `${request.clientId}\u0000${request.seq}`;

  function executeNow(envelope: RequestEnvelope, effect: E): ReplyEnvelope | Promise<ReplyEnvelope> {
    const request = admit(envelope);
    if (!(request instanceof Logged)) return request;
    const at = now();
    // A synchronous store runs the whole transaction before anything else can: no request of
    // the same id can be in progress beside it (unless an asynchronous call left one running),
    // so it needs no wait entry, no promise and no key.
    if (executeSync !== undefined && (running.size === 0 || !running.has(keyOf(request)))) {
      let reply: ReplyEnvelope;
      try {
        reply = toReply(request, executeSync(request, effect, { now: at, maxInFlight }));
      } catch (error) {
        stats.unavailable++;
        reply = errorReply(request, 'ERR_UNAVAILABLE', error instanceof Error ? error.message : undefined);
      }
      maybeSweep(at);
      return reply;
    }
    return executeAsync(request, effect, at);
  }

  function execute(envelope: RequestEnvelope, effect: E): Promise<ReplyEnvelope> {
    const reply = executeNow(envelope, effect);
    return isPromiseLike(reply) ? reply : Promise.resolve(reply);
  }

  async function executeAsync(request: Logged, effect: E, at: number): Promise<ReplyEnvelope> {
    const key = keyOf(request);
    // A concurrent duplicate never runs beside its original: it waits (bounded) until no request
    // with its id is in progress, then asks the store, which replays the original's record.
    const deadline = at + waitTimeoutMs;
    for (let original = running.get(key); original !== undefined; original = running.get(key)) {
      const remaining = deadline - now();
      if (remaining <= 0 || !(await waitFor(original, remaining))) {
        stats.inProgress++;
        return errorReply(request, 'ERR_IN_PROGRESS');
      }
    }
    if (running.size >= maxPending) {
      stats.unavailable++;
      return errorReply(request, 'ERR_UNAVAILABLE', `more than ${maxPending} requests in progress`);
    }
    const work = store.execute(request, effect, { now: at, maxInFlight });
    running.set(key, work);
    try {
      return toReply(request, await work);
    } catch (error) {
      stats.unavailable++;
      return errorReply(request, 'ERR_UNAVAILABLE', error instanceof Error ? error.message : undefined);
    } finally {
      running.delete(key);
      maybeSweep(at);
    }
  }

  return {
    execute,
    executeNow,
    sweep,
    stats: () => ({ ...stats }),
    async close() {
      closed = true;
      await Promise.allSettled([...running.values()]);
      await store.close();
    },
  };
}
