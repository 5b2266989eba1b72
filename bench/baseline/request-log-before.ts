/**
 * The request log's server path and memory store as they were on main at 83e95a0, before the
 * issue-16 hot-path work: `createRequestLog`, `createMemoryStore`, canonical JSON and the reply
 * body, copied verbatim (option range checks dropped: the bench passes fixed, valid options) so
 * `bench/request-log.bench.ts` measures before and after in the same run. Benchmark use only.
 */
import {
  type EffectContext,
  type ErrorReply,
  type JsonValue,
  type LoggedRequest,
  type MemoryEffect,
  type MemoryStore,
  type MemoryStoreOptions,
  type MemoryTx,
  type ReplyEnvelope,
  type ReplyErrorCode,
  type RequestEnvelope,
  type RequestLog,
  type RequestLogOptions,
  type RequestLogStats,
  type StoreOutcome,
  MAX_FAILURE_MESSAGE_LENGTH,
  MAX_JSON_DEPTH,
  REQUEST_LOG_ERROR_CODES,
  RequestLogError,
  createMemoryStoreState,
  decide,
  fingerprintCanonical,
  outcomeWithoutEffect,
} from '@netlab/request-log';

const DEFAULT_MAX_IN_FLIGHT = 32;
const DEFAULT_LEASE_MS = 24 * 60 * 60 * 1000;
const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
const DEFAULT_WAIT_TIMEOUT_MS = 5_000;
const DEFAULT_MAX_PENDING = 4_096;
function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as Partial<PromiseLike<T>> | null)?.then === 'function';
}
interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const systemClock: Clock = {
  now: Date.now,
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout | undefined);
  },
};

// ---- core/canonical-json.ts ----
/** Thrown while writing; the path is assembled on the way out, so the happy path builds none. */
class InvalidJson extends Error {
  readonly segments: string[] = [];
}

function at(error: unknown, segment: string): never {
  if (error instanceof InvalidJson) error.segments.unshift(segment);
  throw error;
}

/**
 * `JSON.stringify(text)` for a string, without the call when nothing needs escaping (printable
 * ASCII other than `"` and `\`: the common case for keys and short values).
 */
function quote(text: string): string {
  if (text.length > 64) return quoteSlowly(text);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) return quoteSlowly(text);
  }
  return `"${text}"`;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function quoteSlowly(text: string): string {
  // JSON.stringify would write a lone surrogate as an escape; I-JSON (and so JCS) has no such value.
  if (LONE_SURROGATE.test(text)) throw new InvalidJson('a string holds a lone surrogate (not I-JSON)');
  return JSON.stringify(text);
}

/**
 * Sorts keys in place in code-unit order (what `Array.prototype.sort` does by default): an
 * insertion sort for the few keys of a typical payload (no comparator calls into the runtime,
 * nothing to do when they are already in order), the built-in sort beyond.
 */
function sortKeys(keys: string[]): void {
  if (keys.length > 16) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] ?? '';
    let j = i - 1;
    for (let before = keys[j] ?? ''; j >= 0 && before > key; before = keys[--j] ?? '') keys[j + 1] = before;
    keys[j + 1] = key;
  }
}

// Cycles need no bookkeeping: a cyclic value is infinitely deep, so the depth limit refuses it.
function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidJson(String(value));
      // Number-to-string is what JSON.stringify writes for a finite number (-0 included: "0").
      return String(value);
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_JSON_DEPTH) throw new InvalidJson(`nested deeper than ${MAX_JSON_DEPTH} (or a cycle)`);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          try {
            out += write(value[i], depth + 1);
          } catch (error) {
            at(error, `[${i}]`);
          }
        }
        return `${out}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new InvalidJson('not a plain object');
      const record = value as Record<string, unknown>;
      let out = '{';
      let first = true;
      const keys = Object.keys(record);
      sortKeys(keys);
      for (const key of keys) {
        if (!first) out += ',';
        first = false;
        try {
          out += `${quote(key)}:${write(record[key], depth + 1)}`;
        } catch (error) {
          at(error, `.${key}`);
        }
      }
      return `${out}}`;
    }
    default:
      throw new InvalidJson(typeof value);
  }
}

/** The canonical JSON text of `value`; throws `ERR_INVALID_REQUEST` for anything that is not JSON. */
function canonicalJson(value: unknown): string {
  try {
    return write(value, 0);
  } catch (error) {
    if (!(error instanceof InvalidJson)) throw error;
    const path = error.segments.join('').replace(/^\./, '');
    throw new RequestLogError('ERR_INVALID_REQUEST', `not a JSON value at ${path === '' ? 'the root' : path}: ${error.message}`, {
      details: { path },
    });
  }
}

// ---- core/reply-body.ts ----
function successBody(value: unknown): string {
  return `{"ok":true,"value":${canonicalJson(value ?? null)}}`;
}

function failureBody(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return canonicalJson({ ok: false, error: { code: 'ERR_EFFECT_FAILED', message: message.slice(0, MAX_FAILURE_MESSAGE_LENGTH) } });
}

// ---- request-log.ts ----
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

function logRequest(envelope: RequestEnvelope): LoggedRequest {
  return new Logged(envelope);
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
export function createRequestLogBefore<E>(options: RequestLogOptions<E>): Omit<RequestLog<E>, 'executeNow'> {
  const store = options.store;
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const unacknowledgedLeaseMs = options.unacknowledgedLeaseMs ?? leaseMs;
  const sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
  const waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  const clock = options.clock ?? systemClock;
  const now = options.clock === undefined && options.now !== undefined ? options.now : (): number => clock.now();

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

  async function execute(envelope: RequestEnvelope, effect: E): Promise<ReplyEnvelope> {
    if (closed) {
      stats.unavailable++;
      return errorReply(envelope, 'ERR_UNAVAILABLE', 'server is closing');
    }
    let request: LoggedRequest;
    try {
      if (!Number.isSafeInteger(envelope.seq) || envelope.seq < 1 || !Number.isSafeInteger(envelope.ack) || envelope.ack < 0 || envelope.ack >= envelope.seq) {
        throw new RequestLogError('ERR_INVALID_REQUEST', 'seq must be a positive integer and ack an integer in [0, seq)');
      }
      request = logRequest(envelope);
    } catch (error) {
      stats.invalid++;
      return errorReply(envelope, 'ERR_INVALID_REQUEST', error instanceof Error ? error.message : undefined);
    }
    const key = `${request.clientId}\u0000${request.seq}`;
    // A concurrent duplicate never runs beside its original: it waits (bounded) until no request
    // with its id is in progress, then asks the store, which replays the original's record.
    const at = now();
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
    sweep,
    stats: () => ({ ...stats }),
    async close() {
      closed = true;
      await Promise.allSettled([...running.values()]);
      await store.close();
    },
  };
}

// ---- memory-store.ts ----
const DELETED = Symbol('deleted');

/**
 * One effect's transaction: a class (methods on the prototype) rather than closures, and the
 * staging map made on the first write, so a request allocates one small object for it.
 */
class Tx implements MemoryTx {
  open = true;
  private staged: Map<string, JsonValue | typeof DELETED> | undefined;

  constructor(private readonly data: Map<string, JsonValue>) {}

  private guard(): void {
    if (!this.open) throw new RequestLogError('ERR_ASYNC_EFFECT', 'the transaction is over: memory effects must be synchronous');
  }

  get(key: string): JsonValue | undefined {
    this.guard();
    if (this.staged !== undefined) {
      const value = this.staged.get(key);
      if (value !== undefined || this.staged.has(key)) return value === DELETED ? undefined : value;
    }
    return this.data.get(key);
  }

  set(key: string, value: JsonValue): void {
    this.guard();
    // A copy, so an effect that keeps and mutates its object cannot write around the transaction.
    (this.staged ??= new Map()).set(key, typeof value === 'object' && value !== null ? structuredClone(value) : value);
  }

  delete(key: string): void {
    this.guard();
    (this.staged ??= new Map()).set(key, DELETED);
  }

  /** Applies the staged writes. */
  commit(): void {
    if (this.staged === undefined) return;
    for (const [key, staging] of this.staged) {
      if (staging === DELETED) this.data.delete(key);
      else this.data.set(key, staging);
    }
  }
}

/** Creates a memory store (see the module comment for its guarantees). */
export function createMemoryStoreBefore(options: MemoryStoreOptions = {}): Omit<MemoryStore, 'executeSync'> {
  const state = options.state ?? createMemoryStoreState();

  function runEffect(effect: MemoryEffect, payload: JsonValue, context: EffectContext): string {
    const tx = new Tx(state.data);
    try {
      const value: unknown = effect(tx, payload, context);
      if (isPromiseLike(value)) throw new RequestLogError('ERR_ASYNC_EFFECT');
      const body = successBody(value);
      tx.commit();
      return body;
    } catch (error) {
      return failureBody(error);
    } finally {
      tx.open = false;
    }
  }

  function collect(clientId: string, previousAck: number, ack: number): void {
    if (ack <= previousAck) return;
    const records = state.records.get(clientId);
    if (records === undefined || records.size === 0) return;
    // Usually the ack moves by one or two: delete those seqs rather than walk the whole map.
    if (ack - previousAck <= records.size) {
      for (let seq = previousAck + 1; seq <= ack; seq++) records.delete(seq);
      return;
    }
    for (const seq of records.keys()) if (seq <= ack) records.delete(seq);
  }

  return {
    kind: 'memory',
    state,
    execute(request, effect, { now, maxInFlight }) {
      const client = state.clients.get(request.clientId);
      let records = state.records.get(request.clientId);
      const decision = decide(request, client, records?.get(request.seq), maxInFlight);
      if (decision.kind === 'expired') return Promise.resolve({ kind: 'expired' });
      let outcome: StoreOutcome;
      switch (decision.kind) {
        case 'execute': {
          const reply = runEffect(effect, request.payload, { clientId: request.clientId, seq: request.seq, now });
          if (records === undefined) {
            records = new Map();
            state.records.set(request.clientId, records);
          }
          records.set(request.seq, { payload: request.canonical, reply });
          outcome = { kind: 'fresh', reply };
          break;
        }
        default:
          outcome = outcomeWithoutEffect(decision);
          break;
      }
      state.clients.set(request.clientId, { ack: decision.ack, lastSeen: now });
      collect(request.clientId, client?.ack ?? 0, decision.ack);
      return Promise.resolve(outcome);
    },
    expire(before, unacknowledgedBefore = before) {
      let count = 0;
      for (const [clientId, row] of state.clients) {
        if (row.lastSeen < before || (row.ack === 0 && row.lastSeen < unacknowledgedBefore)) {
          state.clients.delete(clientId);
          state.records.delete(clientId);
          count++;
        }
      }
      return Promise.resolve(count);
    },
    counts() {
      let records = 0;
      for (const map of state.records.values()) records += map.size;
      return Promise.resolve({ clients: state.clients.size, records });
    },
    close: () => Promise.resolve(),
  };
}
