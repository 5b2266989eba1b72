/**
 * The server's decision for one request, given what its store holds. Pure: every store reads the
 * client row and the record inside its transaction, calls `decide`, then carries the decision
 * out in that same transaction. Keeping the rule in one function is what lets the memory, SQLite
 * and PostgreSQL stores agree (the conformance suite checks that they do).
 *
 * The rule, in order:
 * 1. Unknown client with `ack > 0` → `expired`: the client has had replies, so the server once
 *    held its session and has since forgotten it (lease expiry). Running anything now could run a
 *    request twice, so nothing runs.
 * 2. A completion record for (clientId, seq) exists → `replay` its stored reply if the canonical
 *    payload is the same (key order never matters), else `mismatch` naming the differing fields.
 * 3. `seq ≤ watermark` (the larger of the stored and the carried ack) → `stale`: its reply was
 *    delivered and its record collected; never run again.
 * 4. `seq > watermark + maxInFlight` → `window`: refused, which bounds every client's records to
 *    `maxInFlight`.
 * 5. Otherwise → `execute`: run the effect, store the record, raise the watermark, collect the
 *    records at or below it, all in one transaction.
 *
 * Every decision but `expired` also tells the store the new watermark, so acknowledgements are
 * applied (and records collected) whatever the request's own fate.
 */
import { type JsonValue } from './canonical-json.js';
import { diffPayloads } from './fingerprint.js';

/** A client's session row. */
export interface ClientRow {
  /** Acknowledged watermark: every seq ≤ ack has had its reply delivered. */
  readonly ack: number;
  /** Last time (ms) a request from this client was seen; drives lease expiry. */
  readonly lastSeen: number;
}

/**
 * A completion record, as far as the decision needs it. Durable stores also keep the payload's
 * SHA-256 fingerprint beside it, for operators and compact comparisons.
 */
export interface CompletionRecord {
  /** The canonical payload text: equal text = same request; otherwise it names the differing fields. */
  readonly payload: string;
  /** The stored reply body, returned verbatim to every duplicate. */
  readonly reply: string;
}

/** A validated request with its canonical payload and fingerprint. */
export interface LoggedRequest {
  readonly clientId: string;
  readonly seq: number;
  readonly ack: number;
  readonly payload: JsonValue;
  /** Canonical JSON of the payload. */
  readonly canonical: string;
  /** SHA-256 hex of `canonical` (computed on first use: only stores that persist it pay for it). */
  readonly fingerprint: string;
}

export type Decision =
  | { readonly kind: 'expired' }
  | { readonly kind: 'replay'; readonly reply: string; readonly ack: number }
  | { readonly kind: 'mismatch'; readonly fields: readonly string[]; readonly ack: number }
  | { readonly kind: 'stale'; readonly ack: number }
  | { readonly kind: 'window'; readonly ack: number; readonly maxInFlight: number }
  | { readonly kind: 'execute'; readonly ack: number };

/** Decides what to do with `request`; see the module comment for the rule. */
export function decide(
  request: LoggedRequest,
  client: ClientRow | undefined,
  record: CompletionRecord | undefined,
  maxInFlight: number,
): Decision {
  if (client === undefined && request.ack > 0) return { kind: 'expired' };
  const ack = Math.max(client?.ack ?? 0, request.ack);
  if (record !== undefined) {
    if (record.payload === request.canonical) return { kind: 'replay', reply: record.reply, ack };
    return { kind: 'mismatch', fields: diffPayloads(JSON.parse(record.payload) as JsonValue, request.payload), ack };
  }
  if (request.seq <= ack) return { kind: 'stale', ack };
  if (request.seq > ack + maxInFlight) return { kind: 'window', ack, maxInFlight };
  return { kind: 'execute', ack };
}
