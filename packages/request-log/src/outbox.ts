/**
 * The client's outbox: where a client keeps its id, sequence counter, watermark and unresolved
 * requests so that a restarted client resends them with their original ids instead of
 * forgetting them (or, worse, reusing their sequence numbers for other payloads).
 *
 * `save` is synchronous and atomic: the client calls it before a new request is first sent and
 * after a reply resolves one, before anything else is sent (so the watermark on the wire is
 * never ahead of what a restart would recover).
 */
import type { ClientSnapshot, OutboxEntry } from './core/client-core.js';

/** One atomic outbox update. */
export interface OutboxChange {
  readonly clientId: string;
  readonly nextSeq: number;
  readonly ack: number;
  /** Requests started (persist before they are sent). */
  readonly add?: readonly OutboxEntry[];
  /** Sequences resolved. */
  readonly remove?: readonly number[];
}

export interface Outbox {
  /** The saved client state, or undefined for a new client. */
  load(): ClientSnapshot | undefined;
  /** Applies one change atomically and durably before returning. */
  save(change: OutboxChange): void;
}

/** The state a memory outbox keeps (hand the same object to a new outbox to model a restart). */
export interface MemoryOutboxState {
  snapshot: ClientSnapshot | undefined;
}

export interface MemoryOutboxOptions {
  /** State to continue from. Default: empty. */
  readonly state?: MemoryOutboxState;
}

export interface MemoryOutbox extends Outbox {
  readonly state: MemoryOutboxState;
}

/** An outbox in memory: for tests and the simulation, where its state object outlives a "crash". */
export function createMemoryOutbox(options: MemoryOutboxOptions = {}): MemoryOutbox {
  const state: MemoryOutboxState = options.state ?? { snapshot: undefined };
  return {
    state,
    load: () => state.snapshot,
    save(change) {
      const removed = new Set(change.remove ?? []);
      const pending = (state.snapshot?.clientId === change.clientId ? state.snapshot.pending : []).filter((entry) => !removed.has(entry.seq));
      state.snapshot = { clientId: change.clientId, nextSeq: change.nextSeq, ack: change.ack, pending: [...pending, ...(change.add ?? [])] };
    },
  };
}
