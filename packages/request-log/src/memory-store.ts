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
import { type ClientRow, type CompletionRecord, decide } from './core/decide.js';
import { failureBody, successBody } from './core/reply-body.js';
import { type EffectContext, type RequestLogStore, type StoreOutcome, outcomeWithoutEffect } from './core/store.js';
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
