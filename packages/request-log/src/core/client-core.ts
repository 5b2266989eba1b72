/**
 * The client's retry state machine, sans I/O: it allocates sequence numbers, tracks the ack
 * watermark, decides when to (re)transmit and when to give up, and interprets replies. It never
 * touches a socket or a timer: the caller feeds it the time and the replies, and sends what it
 * returns. `createClient` wraps it with real timers; the simulation drives it directly.
 *
 * Invariants:
 * - A sequence number is used for exactly one payload; a retransmission resends the same
 *   (clientId, seq, payload) with the current watermark.
 * - The watermark `ack` is contiguous: every seq ≤ ack is resolved (reply received, or given up
 *   on with `forget`). An unknown-outcome entry holds the watermark below it until it is
 *   retried to a reply or forgotten, so the server keeps its record meanwhile.
 * - At most `maxInFlight` sequences above the watermark are outstanding (active or unknown);
 *   more calls wait in a queue of at most `maxQueued`.
 * - Retransmission n (n ≥ 1) is scheduled `d × (1 − jitter × r)` after the previous one, with
 *   `d = min(maxRetransmitMs, initialRetransmitMs × backoffFactor^(n−1))` and `r` from the
 *   injected random source; after `giveUpAfterMs` without a reply the entry becomes unknown.
 * - Replies for other clients, unknown or already resolved sequences are ignored (duplicated
 *   and late datagrams are normal).
 * - After `authenticate(key)` every transmission (first or not) carries the envelope's MAC under
 *   that key (`envelope-mac.ts`); the key is not part of the snapshot.
 *
 * Durability (with an outbox): whoever drives the core must persist an entry before sending it
 * and persist a resolution before sending anything else, so a watermark is never sent that a
 * restarted client could not reproduce. The outputs are ordered to make that natural: events
 * first, then messages.
 */
import { backoffDelay } from '@netlab/ground';
import { RequestLogError, assertIntegerOption } from '../errors.js';
import { type JsonValue, canonicalJson } from './canonical-json.js';
import { macEnvelope } from './envelope-mac.js';
import type { ReplyEnvelope, RequestEnvelope } from './messages.js';
import { parseReplyBody } from './reply-body.js';

/** Default client window: 16 outstanding requests (must not exceed the server's `maxInFlight`). */
export const DEFAULT_CLIENT_MAX_IN_FLIGHT = 16;
/** Default calls waiting for a window slot: 1024. */
export const DEFAULT_MAX_QUEUED = 1_024;
/** Default first retransmission delay: 100 ms. */
export const DEFAULT_INITIAL_RETRANSMIT_MS = 100;
/** Default largest retransmission delay: 2 s. */
export const DEFAULT_MAX_RETRANSMIT_MS = 2_000;
/** Default backoff factor: 2. */
export const DEFAULT_BACKOFF_FACTOR = 2;
/** Default jitter fraction: each delay is shortened by up to 50 %. */
export const DEFAULT_JITTER = 0.5;
/** Default time from the first transmission to giving up (outcome unknown): 30 s. */
export const DEFAULT_GIVE_UP_AFTER_MS = 30_000;

/** A request the client has started and not resolved, as an outbox keeps it. */
export interface OutboxEntry {
  readonly seq: number;
  readonly payload: JsonValue;
}

/** Everything needed to resume a client after a restart. */
export interface ClientSnapshot {
  readonly clientId: string;
  /** The next sequence number to allocate. */
  readonly nextSeq: number;
  readonly ack: number;
  /** Unresolved requests, to be retransmitted with their original ids. */
  readonly pending: readonly OutboxEntry[];
}

export interface ClientCoreOptions {
  /** This client's id (unique per client state; a client restarted without its state needs a new one). Required. */
  readonly clientId: string;
  /** Uniform random source in [0, 1) for jitter (inject a seeded PRNG to replay). Default `Math.random`. */
  readonly random?: () => number;
  /** Outstanding requests above the watermark. Default {@link DEFAULT_CLIENT_MAX_IN_FLIGHT}. */
  readonly maxInFlight?: number;
  /** Calls waiting for a window slot. Default {@link DEFAULT_MAX_QUEUED}. */
  readonly maxQueued?: number;
  /** Delay before the first retransmission of a request, ms. Default {@link DEFAULT_INITIAL_RETRANSMIT_MS}. */
  readonly initialRetransmitMs?: number;
  /** Largest delay between two retransmissions, ms (the backoff stops growing there). Default {@link DEFAULT_MAX_RETRANSMIT_MS}. */
  readonly maxRetransmitMs?: number;
  /** Growth of the delay per retransmission (≥ 1; the ground floor's backoff formula). Default {@link DEFAULT_BACKOFF_FACTOR}. */
  readonly backoffFactor?: number;
  /** Fraction (0 to 1) of each delay that is randomised. Default {@link DEFAULT_JITTER}. */
  readonly jitter?: number;
  /** Time from the first transmission until the outcome is declared unknown; 0 = never give up. Default {@link DEFAULT_GIVE_UP_AFTER_MS}. */
  readonly giveUpAfterMs?: number;
  /** State to resume from (an outbox after a restart): its pending requests are resent first. */
  readonly restore?: ClientSnapshot;
}

/** What became of one request. */
export type ClientEvent =
  /** The effect ran (now or before) and this is its reply body, verbatim. */
  | { readonly type: 'done'; readonly seq: number; readonly value: JsonValue; readonly body: string; readonly replay: boolean }
  /** A definite answer that is not a value: `ERR_EFFECT_FAILED`, `ERR_STALE`, `ERR_MISMATCH`, `ERR_INVALID_REQUEST`, `ERR_UNAUTHENTICATED`. */
  | { readonly type: 'failed'; readonly seq: number; readonly error: RequestLogError }
  /** No definite answer: `ERR_OUTCOME_UNKNOWN` (retry may resolve it) or `ERR_SESSION_EXPIRED`. */
  | { readonly type: 'unknown'; readonly seq: number; readonly error: RequestLogError };

export interface ClientOutput {
  /** Resolutions, to be persisted (outbox) and delivered before anything in `send` goes out. */
  readonly events: readonly ClientEvent[];
  /** Messages to transmit now, in order. */
  readonly send: readonly RequestEnvelope[];
}

interface Entry {
  readonly seq: number;
  readonly payload: JsonValue;
  state: 'queued' | 'active' | 'unknown';
  /** Transmissions so far in the current round (reset by `retry`). */
  attempts: number;
  nextAt: number;
  giveUpAt: number;
  /** The payload's canonical JSON, computed on the first MACed transmission. */
  canonical?: string;
}

export interface ClientCoreStats {
  readonly transmissions: number;
  readonly retransmissions: number;
  readonly ignoredReplies: number;
}

/** The sans-I/O client state machine. */
export class ClientCore {
  readonly clientId: string;
  private readonly random: () => number;
  private readonly maxInFlight: number;
  private readonly maxQueued: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly giveUpAfterMs: number;
  private readonly entries = new Map<number, Entry>();
  /** Resolved sequences above the watermark (replies that arrived out of order). */
  private readonly resolvedAbove = new Set<number>();
  private seqCounter: number;
  private watermark: number;
  private expiredError: RequestLogError | undefined;
  private macKey: Uint8Array | undefined;
  private counters = { transmissions: 0, retransmissions: 0, ignoredReplies: 0 };

  constructor(options: ClientCoreOptions) {
    this.clientId = options.clientId;
    this.random = options.random ?? Math.random;
    this.maxInFlight = options.maxInFlight ?? DEFAULT_CLIENT_MAX_IN_FLIGHT;
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.initialMs = options.initialRetransmitMs ?? DEFAULT_INITIAL_RETRANSMIT_MS;
    this.maxMs = options.maxRetransmitMs ?? DEFAULT_MAX_RETRANSMIT_MS;
    this.factor = options.backoffFactor ?? DEFAULT_BACKOFF_FACTOR;
    this.jitter = options.jitter ?? DEFAULT_JITTER;
    this.giveUpAfterMs = options.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS;
    assertIntegerOption('maxInFlight', this.maxInFlight, 1, 1_000_000);
    assertIntegerOption('maxQueued', this.maxQueued, 0, 10_000_000);
    assertIntegerOption('initialRetransmitMs', this.initialMs, 1, 2 ** 31 - 1);
    assertIntegerOption('maxRetransmitMs', this.maxMs, this.initialMs, 2 ** 31 - 1);
    assertIntegerOption('giveUpAfterMs', this.giveUpAfterMs, 0, Number.MAX_SAFE_INTEGER);
    if (!(this.factor >= 1 && this.factor <= 100)) {
      throw new RequestLogError('ERR_INVALID_OPTION', `backoffFactor must be from 1 to 100, got ${String(this.factor)}`);
    }
    if (!(this.jitter >= 0 && this.jitter <= 1)) {
      throw new RequestLogError('ERR_INVALID_OPTION', `jitter must be from 0 to 1, got ${String(this.jitter)}`);
    }
    const restore = options.restore;
    if (restore !== undefined && restore.clientId !== this.clientId) {
      throw new RequestLogError('ERR_INVALID_OPTION', `restore belongs to client ${restore.clientId}, not ${this.clientId}`);
    }
    this.seqCounter = (restore?.nextSeq ?? 1) - 1;
    this.watermark = restore?.ack ?? 0;
    const restored = [...(restore?.pending ?? [])].sort((a, b) => a.seq - b.seq);
    for (const { seq, payload } of restored) {
      if (seq > this.watermark && seq <= this.seqCounter) {
        this.entries.set(seq, { seq, payload, state: 'queued', attempts: 0, nextAt: 0, giveUpAt: 0 });
      }
    }
    // Sequences between the watermark and nextSeq that the outbox no longer holds were resolved.
    for (let seq = this.watermark + 1; seq <= this.seqCounter; seq++) {
      if (!this.entries.has(seq)) this.resolvedAbove.add(seq);
    }
    this.advance();
  }

  /** The ack watermark carried by every request. */
  get ack(): number {
    return this.watermark;
  }

  /** The next sequence number `submit` will allocate. */
  get nextSeq(): number {
    return this.seqCounter + 1;
  }

  /** True once the server reported this client's session expired: no further calls. */
  get expired(): boolean {
    return this.expiredError !== undefined;
  }

  stats(): ClientCoreStats {
    return { ...this.counters };
  }

  /**
   * From now on every envelope this core sends, retransmissions included, carries its MAC under
   * `key` (a copy is kept); `undefined` stops MACing.
   */
  authenticate(key: Uint8Array | undefined): void {
    this.macKey = key === undefined ? undefined : Uint8Array.from(key);
  }

  /** Unresolved requests (for an outbox or a status display). */
  pending(): readonly (OutboxEntry & { readonly state: 'queued' | 'active' | 'unknown' })[] {
    return [...this.entries.values()].map(({ seq, payload, state }) => ({ seq, payload, state }));
  }

  snapshot(): ClientSnapshot {
    return { clientId: this.clientId, nextSeq: this.nextSeq, ack: this.watermark, pending: this.pending().map(({ seq, payload }) => ({ seq, payload })) };
  }

  /**
   * Allocates the next sequence for `payload` and returns it with what to send now. Throws
   * `ERR_SESSION_EXPIRED` after expiry and `ERR_WINDOW_EXCEEDED` when the queue is full.
   */
  submit(payload: JsonValue, now: number): { readonly seq: number; readonly output: ClientOutput } {
    if (this.expiredError !== undefined) throw this.expiredError;
    const queued = [...this.entries.values()].filter((entry) => entry.state === 'queued').length;
    if (this.windowFull() && queued >= this.maxQueued) {
      throw new RequestLogError('ERR_WINDOW_EXCEEDED', `${this.maxInFlight} requests in flight and ${this.maxQueued} queued`);
    }
    const seq = ++this.seqCounter;
    this.entries.set(seq, { seq, payload, state: 'queued', attempts: 0, nextAt: 0, giveUpAt: 0 });
    return { seq, output: { events: [], send: this.pump(now) } };
  }

  /** Interprets one reply (any reply: duplicates, strangers and late ones are ignored). */
  receive(reply: ReplyEnvelope, now: number): ClientOutput {
    const entry = reply.clientId === this.clientId ? this.entries.get(reply.seq) : undefined;
    if (entry === undefined || entry.state === 'queued') {
      this.counters.ignoredReplies++;
      return { events: [], send: [] };
    }
    const seq = reply.seq;
    const id = { clientId: this.clientId, seq };
    if (reply.status === 'done') {
      const body = parseReplyBody(reply.body);
      const event: ClientEvent = body.ok
        ? { type: 'done', seq, value: body.value, body: reply.body, replay: reply.replay }
        : { type: 'failed', seq, error: new RequestLogError('ERR_EFFECT_FAILED', body.error.message, id) };
      return this.resolve(entry, event, now);
    }
    switch (reply.code) {
      case 'ERR_IN_PROGRESS':
      case 'ERR_UNAVAILABLE':
      case 'ERR_WINDOW_EXCEEDED':
        // Not an answer: the request may still run (or be running). Keep retransmitting the same id.
        return { events: [], send: [] };
      case 'ERR_SESSION_EXPIRED': {
        this.expiredError = new RequestLogError('ERR_SESSION_EXPIRED', reply.message, id);
        const events: ClientEvent[] = [];
        for (const other of this.entries.values()) {
          events.push({ type: 'unknown', seq: other.seq, error: new RequestLogError('ERR_SESSION_EXPIRED', reply.message, { clientId: this.clientId, seq: other.seq }) });
        }
        this.entries.clear();
        return { events, send: [] };
      }
      case 'ERR_STALE':
      case 'ERR_MISMATCH':
      case 'ERR_INVALID_REQUEST':
      case 'ERR_UNAUTHENTICATED': {
        const details = reply.fields === undefined ? (reply.ack === undefined ? {} : { ack: reply.ack }) : { fields: reply.fields };
        return this.resolve(entry, { type: 'failed', seq, error: new RequestLogError(reply.code, reply.message, { ...id, details }) }, now);
      }
    }
  }

  /** Retransmissions and give-ups due at `now`, and queued requests that fit the window. */
  poll(now: number): ClientOutput {
    const events: ClientEvent[] = [];
    const send: RequestEnvelope[] = [];
    for (const entry of this.entries.values()) {
      if (entry.state !== 'active') continue;
      if (this.giveUpAfterMs > 0 && entry.giveUpAt <= now) {
        entry.state = 'unknown';
        events.push({
          type: 'unknown',
          seq: entry.seq,
          error: new RequestLogError('ERR_OUTCOME_UNKNOWN', `no reply to seq ${entry.seq} after ${entry.attempts} transmissions`, {
            clientId: this.clientId,
            seq: entry.seq,
            details: { attempts: entry.attempts },
          }),
        });
        continue;
      }
      if (entry.nextAt > now) continue;
      this.counters.retransmissions++;
      send.push(this.transmit(entry, now));
    }
    send.push(...this.pump(now));
    return { events, send };
  }

  /** Resends every active request now (after a reconnect), keeping each one's give-up deadline. */
  resendAll(now: number): ClientOutput {
    const send: RequestEnvelope[] = [];
    for (const entry of this.entries.values()) {
      if (entry.state === 'active') {
        this.counters.retransmissions++;
        send.push(this.transmit(entry, now));
      }
    }
    return { events: [], send };
  }

  /** The earliest time `poll` has something to do, or undefined when nothing is active. */
  nextDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.entries.values()) {
      if (entry.state !== 'active') continue;
      const at = this.giveUpAfterMs > 0 ? Math.min(entry.nextAt, entry.giveUpAt) : entry.nextAt;
      if (earliest === undefined || at < earliest) earliest = at;
    }
    return earliest;
  }

  /** Starts retransmitting an unknown-outcome request again (same id, same payload). */
  retry(seq: number, now: number): ClientOutput {
    if (this.expiredError !== undefined) throw this.expiredError;
    const entry = this.entries.get(seq);
    if (entry?.state !== 'unknown') {
      throw new RequestLogError('ERR_INVALID_REQUEST', `seq ${seq} is not awaiting a retry`, { clientId: this.clientId, seq });
    }
    entry.state = 'active';
    entry.attempts = 0;
    return { events: [], send: [this.transmit(entry, now)] };
  }

  /**
   * Gives up on an unknown-outcome request for good: the watermark may pass it, so the server
   * drops its record and the outcome can never be learned. Returns queued requests now sendable.
   */
  forget(seq: number, now: number): ClientOutput {
    const entry = this.entries.get(seq);
    if (entry?.state !== 'unknown') {
      throw new RequestLogError('ERR_INVALID_REQUEST', `seq ${seq} is not an unknown outcome`, { clientId: this.clientId, seq });
    }
    this.entries.delete(seq);
    this.resolvedAbove.add(seq);
    this.advance();
    return { events: [], send: this.pump(now) };
  }

  private resolve(entry: Entry, event: ClientEvent, now: number): ClientOutput {
    this.entries.delete(entry.seq);
    this.resolvedAbove.add(entry.seq);
    this.advance();
    return { events: [event], send: this.pump(now) };
  }

  private advance(): void {
    while (this.resolvedAbove.delete(this.watermark + 1)) this.watermark++;
  }

  private windowFull(): boolean {
    return this.seqCounter >= this.watermark + this.maxInFlight;
  }

  /** Sends queued requests that now fit the window, in sequence order. */
  private pump(now: number): RequestEnvelope[] {
    const send: RequestEnvelope[] = [];
    for (const entry of this.entries.values()) {
      if (entry.state === 'queued' && entry.seq <= this.watermark + this.maxInFlight) {
        entry.state = 'active';
        send.push(this.transmit(entry, now));
      }
    }
    return send;
  }

  private transmit(entry: Entry, now: number): RequestEnvelope {
    if (entry.attempts === 0) entry.giveUpAt = now + this.giveUpAfterMs;
    entry.attempts++;
    this.counters.transmissions++;
    const delay = backoffDelay(entry.attempts - 1, { initialDelayMs: this.initialMs, maxDelayMs: this.maxMs, factor: this.factor, jitter: this.jitter, random: this.random });
    entry.nextAt = now + Math.max(1, delay);
    const envelope: RequestEnvelope = { kind: 'request', clientId: this.clientId, seq: entry.seq, ack: this.watermark, payload: entry.payload };
    if (this.macKey === undefined) return envelope;
    entry.canonical ??= canonicalJson(entry.payload);
    return { ...envelope, mac: macEnvelope(this.macKey, envelope, entry.canonical) };
  }
}

/** Creates the sans-I/O client state machine. */
export function createClientCore(options: ClientCoreOptions): ClientCore {
  return new ClientCore(options);
}
