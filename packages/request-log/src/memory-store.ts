/**
 * The memory store: completion records, client rows and a small transactional key-value space
 * for the effects' own data, all in plain Maps.
 *
 * Atomicity: a request is decided, run and recorded in one synchronous stretch (no `await`
 * inside), and the effect writes through a {@link MemoryTx} whose changes are applied together
 * with the record, or dropped if the effect throws. Effects must therefore be synchronous.
 *
 * Durability: none by itself; but all state lives in one {@link MemoryStoreState} object that
 * can be handed to a new store. The deterministic simulation keeps that object across a
 * "server crash" (everything else, including requests in progress, is thrown away), which is
 * exactly what a durable store guarantees after a real crash.
 */
import { isPromiseLike } from '@netlab/ground';
import type { JsonValue } from './core/canonical-json.js';
import { type ClientRow, type CompletionRecord, type LoggedRequest, decide } from './core/decide.js';
import { failureBody, successBody } from './core/reply-body.js';
import { type EffectContext, type RequestLogStore, type StoreExecuteOptions, type StoreOutcome, outcomeWithoutEffect } from './core/store.js';
import { RequestLogError } from './errors.js';

/** Everything the memory store keeps: hand it to a new store to model a restart. */
export interface MemoryStoreState {
  readonly clients: Map<string, ClientRow>;
  /** Completion records by client id, then seq. */
  readonly records: Map<string, Map<number, CompletionRecord>>;
  /** The effects' own data (an ATM ledger, a counter), written through {@link MemoryTx}. */
  readonly data: Map<string, JsonValue>;
}

/** The transaction an effect on the memory store writes through. */
export interface MemoryTx {
  get(key: string): JsonValue | undefined;
  /** Stages a write; it becomes visible to others only if the effect returns. */
  set(key: string, value: JsonValue): void;
  delete(key: string): void;
}

/** A synchronous effect on the memory store; its return value (JSON) is the reply. */
export type MemoryEffect = (tx: MemoryTx, payload: JsonValue, context: EffectContext) => JsonValue | undefined;

export interface MemoryStoreOptions {
  /** State to continue from (a restart). Default: a new, empty state. */
  readonly state?: MemoryStoreState;
}

export interface MemoryStore extends RequestLogStore<MemoryEffect> {
  readonly state: MemoryStoreState;
}

/** A new, empty memory store state. */
export function createMemoryStoreState(): MemoryStoreState {
  return { clients: new Map(), records: new Map(), data: new Map() };
}

const DELETED = Symbol('deleted');

/**
 * One effect's transaction: a class (methods on the prototype) rather than closures. The first
 * staged key lives in two fields and only further keys make a map, so the common effect (one
 * read, one write) allocates nothing beyond this small object.
 */
class Tx implements MemoryTx {
  open = true;
  /** The first staged key (`undefined`: none) and its value; never also a key of `staged`. */
  private firstKey: string | undefined;
  private firstValue: JsonValue | typeof DELETED = DELETED;
  private staged: Map<string, JsonValue | typeof DELETED> | undefined;

  constructor(private readonly data: Map<string, JsonValue>) {}

  private guard(): void {
    if (!this.open) throw new RequestLogError('ERR_ASYNC_EFFECT', 'the transaction is over: memory effects must be synchronous');
  }

  private stage(key: string, value: JsonValue | typeof DELETED): void {
    if (this.firstKey === undefined || this.firstKey === key) {
      this.firstKey = key;
      this.firstValue = value;
    } else {
      (this.staged ??= new Map()).set(key, value);
    }
  }

  get(key: string): JsonValue | undefined {
    this.guard();
    if (this.firstKey === key) return this.firstValue === DELETED ? undefined : this.firstValue;
    if (this.staged !== undefined) {
      const value = this.staged.get(key);
      if (value !== undefined || this.staged.has(key)) return value === DELETED ? undefined : value;
    }
    return this.data.get(key);
  }

  set(key: string, value: JsonValue): void {
    this.guard();
    // A copy, so an effect that keeps and mutates its object cannot write around the transaction.
    this.stage(key, typeof value === 'object' && value !== null ? structuredClone(value) : value);
  }

  delete(key: string): void {
    this.guard();
    this.stage(key, DELETED);
  }

  /** Applies the staged writes. */
  commit(): void {
    if (this.firstKey === undefined) return;
    if (this.firstValue === DELETED) this.data.delete(this.firstKey);
    else this.data.set(this.firstKey, this.firstValue);
    if (this.staged === undefined) return;
    for (const [key, staging] of this.staged) {
      if (staging === DELETED) this.data.delete(key);
      else this.data.set(key, staging);
    }
  }
}

const EXPIRED: StoreOutcome = Object.freeze({ kind: 'expired' });

/** Creates a memory store (see the module comment for its guarantees). */
export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
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

  function collect(records: Map<number, CompletionRecord> | undefined, previousAck: number, ack: number): void {
    if (ack <= previousAck || records === undefined || records.size === 0) return;
    // Usually the ack moves by one or two: delete those seqs rather than walk the whole map.
    if (ack - previousAck <= records.size) {
      for (let seq = previousAck + 1; seq <= ack; seq++) records.delete(seq);
      return;
    }
    for (const seq of records.keys()) if (seq <= ack) records.delete(seq);
  }

  /** Decides, runs and records one request in one synchronous stretch (the whole transaction). */
  function executeSync(request: LoggedRequest, effect: MemoryEffect, { now, maxInFlight }: StoreExecuteOptions): StoreOutcome {
    const clientId = request.clientId;
    const client = state.clients.get(clientId);
    let records = state.records.get(clientId);
    const decision = decide(request, client, records?.get(request.seq), maxInFlight);
    if (decision.kind === 'expired') return EXPIRED;
    let outcome: StoreOutcome;
    if (decision.kind === 'execute') {
      const reply = runEffect(effect, request.payload, { clientId, seq: request.seq, now });
      if (records === undefined) {
        records = new Map();
        state.records.set(clientId, records);
      }
      records.set(request.seq, { payload: request.canonical, reply });
      outcome = { kind: 'fresh', reply };
    } else {
      outcome = outcomeWithoutEffect(decision);
    }
    state.clients.set(clientId, { ack: decision.ack, lastSeen: now });
    collect(records, client?.ack ?? 0, decision.ack);
    return outcome;
  }

  return {
    kind: 'memory',
    state,
    executeSync,
    execute(request, effect, options) {
      try {
        return Promise.resolve(executeSync(request, effect, options));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
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
