/**
 * The contract between the request log and its stores. A store owns the transaction: for one
 * request it reads the client row and the completion record, calls `decide`, and for `execute`
 * runs the effect with its transaction handle and writes the completion record, the new
 * watermark and the collection of acknowledged records, committing them together or not at all.
 *
 * `E` is the store's effect type: synchronous for memory and SQLite (the transaction cannot be
 * held across an `await`), asynchronous for PostgreSQL.
 */
import type { Decision, LoggedRequest } from './decide.js';

/** What an effect is told about the request it runs for. */
export interface EffectContext {
  readonly clientId: string;
  readonly seq: number;
  /** The server's clock when the request was accepted. */
  readonly now: number;
}

/** What the store did with one request. */
export type StoreOutcome =
  | { readonly kind: 'expired' }
  /** The effect ran (or threw and was rolled back) and its record was committed with it. */
  | { readonly kind: 'fresh'; readonly reply: string }
  | { readonly kind: 'replay'; readonly reply: string }
  | { readonly kind: 'mismatch'; readonly fields: readonly string[] }
  | { readonly kind: 'stale'; readonly ack: number }
  | { readonly kind: 'window'; readonly ack: number; readonly maxInFlight: number };

/** Per-call settings the request log hands to its store. */
export interface StoreExecuteOptions {
  readonly now: number;
  readonly maxInFlight: number;
}

/** Sizes, for tests and monitoring. */
export interface StoreCounts {
  readonly clients: number;
  readonly records: number;
}

export interface RequestLogStore<E> {
  /** `'memory'`, `'sqlite'`, `'postgres'`. */
  readonly kind: string;
  /**
   * Decides and, if fresh, runs `effect` and commits it with its completion record. Rejects only
   * when nothing was committed and the same id may be retried (store busy, connection lost).
   */
  execute(request: LoggedRequest, effect: E, options: StoreExecuteOptions): Promise<StoreOutcome>;
  /**
   * The same as `execute`, done synchronously, offered only by a store whose whole transaction
   * is synchronous (memory). The request log then answers without a promise or a wait entry per
   * step: nothing can run beside a synchronous call, so no concurrent duplicate can exist. Throws
   * where `execute` would reject. Optional: stores without it are always called through `execute`.
   * A wrapper that changes `execute` (fault injection, a gate) must wrap this too or delete it.
   */
  executeSync?(request: LoggedRequest, effect: E, options: StoreExecuteOptions): StoreOutcome;
  /**
   * Deletes every client last seen before `before` (ms) with its records, and every client whose
   * watermark is still 0 (it never acknowledged a reply) last seen before `unacknowledgedBefore`
   * when that is given; resolves to how many.
   */
  expire(before: number, unacknowledgedBefore?: number): Promise<number>;
  counts(): Promise<StoreCounts>;
  close(): Promise<void>;
}

/** A decision that runs no effect and writes no record. */
export type ReadOnlyDecision = Exclude<Decision, { readonly kind: 'execute' } | { readonly kind: 'expired' }>;

/** The store outcome of a decision that runs no effect: the same for every store. */
export function outcomeWithoutEffect(decision: ReadOnlyDecision): StoreOutcome {
  switch (decision.kind) {
    case 'replay':
      return { kind: 'replay', reply: decision.reply };
    case 'mismatch':
      return { kind: 'mismatch', fields: decision.fields };
    case 'stale':
      return { kind: 'stale', ack: decision.ack };
    case 'window':
      return { kind: 'window', ack: decision.ack, maxInFlight: decision.maxInFlight };
  }
}
