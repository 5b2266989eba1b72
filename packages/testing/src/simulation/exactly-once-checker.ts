/**
 * The exactly-once checker. It sees what a bank-balance checker cannot: individual request ids.
 * Feed it what the clients observed (ids issued, replies seen, outcomes accepted) and, at the
 * end, how many times the durable state says each id's effect was applied. It reports:
 * - `applied-twice`: an id applied more than once (at-most-once broken);
 * - `lost-ack`: an id the client accepted as done that is not applied exactly once;
 * - `applied-but-failed`: an id reported definitely not applied that is applied;
 * - `reply-changed`: two replies for one id that are not byte-identical;
 * - `unknown-id`: an applied id no client ever issued.
 *
 * Structural: ids are strings and replies are strings or bytes; it knows nothing of the library
 * under test.
 */

export type ExactlyOnceViolationKind = 'applied-twice' | 'lost-ack' | 'applied-but-failed' | 'reply-changed' | 'unknown-id';

export interface ExactlyOnceViolation {
  readonly kind: ExactlyOnceViolationKind;
  readonly id: string;
  readonly detail: string;
}

export interface ExactlyOnceSummary {
  readonly issued: number;
  readonly acknowledged: number;
  readonly failed: number;
  /** Ids with neither an acknowledgement nor a definite failure. */
  readonly unresolved: number;
  readonly replies: number;
  readonly violations: readonly ExactlyOnceViolation[];
}

export interface ExactlyOnceChecker {
  /** A client started a request with this id. */
  issued(id: string): void;
  /** Someone (a client, or the wire) saw a reply for `id`; every reply for one id must be identical. */
  replied(id: string, reply: string | Uint8Array): void;
  /** The client accepted `id` as applied (it got the value). */
  acknowledged(id: string): void;
  /** The client was told `id` was definitely not applied. */
  failed(id: string): void;
  /** Compares with the applied counts from durable state (ids absent = 0). */
  verify(applied: ReadonlyMap<string, number>): ExactlyOnceSummary;
}

function toText(reply: string | Uint8Array): string {
  return typeof reply === 'string' ? reply : Buffer.from(reply).toString('hex');
}

/** Creates an exactly-once checker (see the module comment). */
export function createExactlyOnceChecker(): ExactlyOnceChecker {
  const issued = new Set<string>();
  const acknowledged = new Set<string>();
  const failed = new Set<string>();
  const firstReply = new Map<string, string>();
  const violations: ExactlyOnceViolation[] = [];
  let replies = 0;

  return {
    issued(id) {
      issued.add(id);
    },
    replied(id, reply) {
      replies++;
      const text = toText(reply);
      const first = firstReply.get(id);
      if (first === undefined) firstReply.set(id, text);
      else if (first !== text) violations.push({ kind: 'reply-changed', id, detail: `first ${first}, then ${text}` });
    },
    acknowledged(id) {
      acknowledged.add(id);
    },
    failed(id) {
      failed.add(id);
    },
    verify(applied) {
      const found = [...violations];
      for (const [id, count] of applied) {
        if (count > 1) found.push({ kind: 'applied-twice', id, detail: `applied ${count} times` });
        if (count > 0 && !issued.has(id)) found.push({ kind: 'unknown-id', id, detail: 'applied but never issued' });
        if (count > 0 && failed.has(id)) found.push({ kind: 'applied-but-failed', id, detail: `reported not applied, applied ${count} times` });
      }
      for (const id of acknowledged) {
        const count = applied.get(id) ?? 0;
        if (count !== 1) found.push({ kind: 'lost-ack', id, detail: `acknowledged but applied ${count} times` });
      }
      let unresolved = 0;
      for (const id of issued) if (!acknowledged.has(id) && !failed.has(id)) unresolved++;
      return { issued: issued.size, acknowledged: acknowledged.size, failed: failed.size, unresolved, replies, violations: found };
    },
  };
}
