/**
 * The TCP impairment model (toxiproxy's vocabulary), sans-I/O: one direction of a byte stream,
 * fed with chunks and the current time, returning the actions due (write these bytes, end, close,
 * reset). Drivers (`createStreamFaults`, the TCP proxy) own sockets and timers.
 *
 * Invariant: bytes come out in the order they went in, none is skipped, none is altered. Loss on
 * a stream only ever shows as a stall, an early close or a reset, after which nothing more is
 * delivered, as on a real TCP connection.
 *
 * Toxics, applied per chunk in this order (each draws from its own fork of the PRNG):
 * - reset_peer   decided once when the model is created: with probability `resetPeer` the stream
 *                is reset `resetPeerAfterMs` after creation, or at its first chunk when that is 0.
 * - timeout      with `timeoutMs` > 0 nothing is delivered; `timeoutMs` after creation (or after
 *                the timeout was switched on by `reconfigure`) the connection is closed, and the
 *                bytes held meanwhile are discarded (counted `dropped`). With `stall` alone,
 *                bytes are held until the stall is lifted, then delivered: nothing is lost.
 * - limit_data   with `limitDataBytes` > 0 the first `limitDataBytes` bytes are delivered, then the
 *                connection is closed; a stream of exactly that many bytes is delivered whole.
 * - latency      each chunk waits `latencyMs` ± uniform `jitterMs` (never negative, never
 *                overtaking the chunk before it).
 * - slicer       each chunk is cut into slices of `slicerAverageSize` ± `slicerSizeVariation`
 *                bytes (at least 1), `slicerDelayMs` apart.
 * - bandwidth    `bandwidthKBps` kilobytes (1000 bytes) per second: bytes leave no faster, in
 *                pieces of at most 100 ms worth.
 * - slow_close   the end of the stream (FIN) is passed on `slowCloseMs` after the last byte.
 *
 * Live changes: `reconfigure(options, now)` applies new options to the open stream at once:
 * later chunks use them; lowering latency, jitter or slicer delay, or removing bandwidth, brings
 * bytes already waiting forward (never before the bytes ahead of them); lifting a stall releases
 * what it held; a limit_data switched on counts bytes from that moment.
 *
 * Limits: at most `maxBufferedBytes` bytes wait; `push()` past it throws ERR_BUFFER_FULL. Drivers
 * pause their source at `highWaterMark`, so a well-behaved source never gets there.
 */
import { type DirectionCounters, createDirectionCounters } from './counters.js';
import { FaultError } from './errors.js';
import { MAX_DELAY_MS } from './datagram-impairments.js';
import type { DecisionObserver, FaultCause, FaultDecision } from './fault-decision.js';
import type { Prng } from './prng.js';
import { checkInteger, checkNumber, checkProbability } from './validate.js';

export const DEFAULT_SLICER_AVERAGE_SIZE = 64;
export const DEFAULT_SLICER_SIZE_VARIATION = 32;
export const DEFAULT_HIGH_WATER_MARK = 64 * 1024;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

/** What holds a stalled stream, as reported in decisions. */
export type StallCause = 'timeout' | 'partition';

export interface StreamImpairmentOptions {
  /** Delay added to every chunk, ms (toxiproxy `latency`). Default 0. */
  readonly latencyMs?: number;
  /** Uniform variation of the latency, ± ms (toxiproxy `latency.jitter`). Default 0. */
  readonly jitterMs?: number;
  /** Rate limit in KB/s, 1 KB = 1000 bytes (toxiproxy `bandwidth.rate`); 0 = unlimited. Default 0. */
  readonly bandwidthKBps?: number;
  /** Cut chunks into small slices (toxiproxy `slicer`). Default false. */
  readonly slicer?: boolean;
  /** Mean slice size, bytes (toxiproxy `slicer.average_size`). Default {@link DEFAULT_SLICER_AVERAGE_SIZE}. */
  readonly slicerAverageSize?: number;
  /** Slice size variation, ± bytes (toxiproxy `slicer.size_variation`). Default {@link DEFAULT_SLICER_SIZE_VARIATION}. */
  readonly slicerSizeVariation?: number;
  /** Pause between slices, ms (toxiproxy `slicer.delay`, there in µs). Default 0. */
  readonly slicerDelayMs?: number;
  /** Stall all data, then close the connection after this many ms (toxiproxy `timeout`); 0 = off. Default 0. */
  readonly timeoutMs?: number;
  /**
   * Hold every byte until the stall is lifted by `reconfigure` (toxiproxy `timeout` with 0, netlab
   * `partition`); nothing is lost. The value names the cause in decisions. Default: no stall.
   */
  readonly stall?: StallCause | false;
  /** Probability that the connection is reset (toxiproxy `reset_peer` toxicity). Default 0. */
  readonly resetPeer?: number;
  /** When a chosen connection is reset, ms after it opened; 0 = at its first data (toxiproxy `reset_peer.timeout`). Default 0. */
  readonly resetPeerAfterMs?: number;
  /**
   * Count `resetPeerAfterMs` from the first chunk instead of from the opening (toxiproxy's timing:
   * the chunk that triggers the reset and every later one are never delivered). Default false.
   */
  readonly resetPeerAfterData?: boolean;
  /** Close the connection once this many bytes have passed (toxiproxy `limit_data.bytes`); 0 = no limit. Default 0. */
  readonly limitDataBytes?: number;
  /** Delay the end of the stream by this many ms (toxiproxy `slow_close.delay`). Default 0. */
  readonly slowCloseMs?: number;
  /** Buffered bytes at which drivers pause their source. Default {@link DEFAULT_HIGH_WATER_MARK}. */
  readonly highWaterMark?: number;
  /** Hard cap on buffered bytes: `push()` past it throws ERR_BUFFER_FULL. Default {@link DEFAULT_MAX_BUFFERED_BYTES}. */
  readonly maxBufferedBytes?: number;
}

/** What a driver must do next, in order. After `end`, `close` or `reset`, nothing follows. */
export type StreamAction =
  | { readonly kind: 'data'; readonly bytes: Uint8Array }
  | { readonly kind: 'end' }
  | { readonly kind: 'close'; readonly reason: 'timeout' | 'limit-data' }
  | { readonly kind: 'reset' };

export interface StreamImpairments {
  /** Feeds a chunk arriving at `now`. Throws ERR_BUFFER_FULL past `maxBufferedBytes`. */
  push(chunk: Uint8Array, now: number): void;
  /** The source ended (FIN) at `now`. */
  end(now: number): void;
  /** Every action due at `now`, in order. */
  take(now: number): StreamAction[];
  /** When the next action falls due, or undefined when nothing waits. */
  nextDueAt(): number | undefined;
  /** Applies new options to the open stream from `now` on (see the header). Throws ERR_INVALID_OPTION. */
  reconfigure(options: StreamImpairmentOptions, now: number): void;
  /** Reports every decision from now on to `observer` (undefined: stop). */
  observe(observer: DecisionObserver | undefined): void;
  /** Discards everything waiting. */
  clear(): void;
  /** Bytes accepted and not yet taken. */
  readonly bufferedBytes: number;
  /** True once an `end`, `close` or `reset` action has been taken. */
  readonly finished: boolean;
  readonly counters: DirectionCounters;
}

interface Entry {
  at: number;
  /** When the bytes arrived (for `delayed`). */
  readonly born: number;
  readonly action: StreamAction;
}

/** Validates options and fills in defaults. */
export function resolveStreamImpairments(options: StreamImpairmentOptions): Required<StreamImpairmentOptions> {
  const resolved: Required<StreamImpairmentOptions> = {
    latencyMs: checkNumber('latencyMs', options.latencyMs ?? 0, 0, MAX_DELAY_MS),
    jitterMs: checkNumber('jitterMs', options.jitterMs ?? 0, 0, MAX_DELAY_MS),
    bandwidthKBps: checkNumber('bandwidthKBps', options.bandwidthKBps ?? 0, 0),
    slicer: options.slicer ?? false,
    slicerAverageSize: checkInteger('slicerAverageSize', options.slicerAverageSize ?? DEFAULT_SLICER_AVERAGE_SIZE, 1),
    slicerSizeVariation: checkInteger('slicerSizeVariation', options.slicerSizeVariation ?? DEFAULT_SLICER_SIZE_VARIATION, 0),
    slicerDelayMs: checkNumber('slicerDelayMs', options.slicerDelayMs ?? 0, 0, MAX_DELAY_MS),
    timeoutMs: checkNumber('timeoutMs', options.timeoutMs ?? 0, 0, MAX_DELAY_MS),
    stall: options.stall ?? false,
    resetPeer: checkProbability('resetPeer', options.resetPeer ?? 0),
    resetPeerAfterMs: checkNumber('resetPeerAfterMs', options.resetPeerAfterMs ?? 0, 0, MAX_DELAY_MS),
    resetPeerAfterData: options.resetPeerAfterData ?? false,
    limitDataBytes: checkInteger('limitDataBytes', options.limitDataBytes ?? 0, 0),
    slowCloseMs: checkNumber('slowCloseMs', options.slowCloseMs ?? 0, 0, MAX_DELAY_MS),
    highWaterMark: checkInteger('highWaterMark', options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK, 1),
    maxBufferedBytes: checkInteger('maxBufferedBytes', options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES, 1),
  };
  if (resolved.highWaterMark > resolved.maxBufferedBytes) {
    throw new FaultError('ERR_INVALID_OPTION', `highWaterMark (${resolved.highWaterMark}) must not exceed maxBufferedBytes (${resolved.maxBufferedBytes})`, {
      details: { option: 'highWaterMark', value: resolved.highWaterMark },
    });
  }
  return resolved;
}

/** Creates the model for one direction of one connection opened at `now`. */
export function createStreamImpairments(options: StreamImpairmentOptions, prng: Prng, now: number): StreamImpairments {
  let o = resolveStreamImpairments(options);
  const latencyRng = prng.fork('latency');
  const slicerRng = prng.fork('slicer');
  const resetRng = prng.fork('reset-peer');
  const counters = createDirectionCounters();
  let observer: DecisionObserver | undefined;
  let bytesPerMs = 0; // 1 KB/s = 1000 B/s = 1 B/ms
  let maxPiece = Number.POSITIVE_INFINITY;
  const refreshRates = (): void => {
    bytesPerMs = o.bandwidthKBps;
    maxPiece = bytesPerMs > 0 ? Math.max(1, Math.floor(bytesPerMs * 100)) : Number.POSITIVE_INFINITY;
  };
  refreshRates();
  let resetArmed = resetRng.chance(o.resetPeer);
  const fromOpen = (): boolean => o.resetPeerAfterMs > 0 && !o.resetPeerAfterData;
  let resetAt = resetArmed && fromOpen() ? now + o.resetPeerAfterMs : undefined;
  // Once data has been swallowed for a reset, the reset must happen: a stream never continues with a gap.
  let resetTriggered = false;
  let timeoutAt = o.timeoutMs > 0 ? now + o.timeoutMs : undefined;
  let queue: Entry[] = [];
  let head = 0;
  let buffered = 0;
  let accepted = 0;
  let limitBase = 0;
  let received = 0;
  let lastAt = now;
  let busyUntil = now;
  let ended = false;
  let finished = false;

  const decide = (decision: FaultDecision): void => observer?.(decision);
  const stalled = (): boolean => o.stall !== false || timeoutAt !== undefined;

  const enqueue = (at: number, born: number, action: StreamAction): void => {
    lastAt = Math.max(lastAt, at);
    queue.push({ at: lastAt, born, action });
  };

  const pieces = (chunk: Uint8Array): Uint8Array[] => {
    const out: Uint8Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      let size = chunk.length - offset;
      if (o.slicer) {
        const variation = o.slicerSizeVariation === 0 ? 0 : slicerRng.int(2 * o.slicerSizeVariation + 1) - o.slicerSizeVariation;
        size = Math.min(size, Math.max(1, o.slicerAverageSize + variation));
      }
      size = Math.min(size, maxPiece);
      out.push(chunk.subarray(offset, offset + size));
      offset += size;
    }
    return out;
  };

  const pendingData = (): number => {
    let n = 0;
    for (let i = head; i < queue.length; i++) if (queue[i]?.action.kind === 'data') n++;
    return n;
  };

  const finish = (): void => {
    finished = true;
    queue = [];
    head = 0;
    buffered = 0;
    resetAt = undefined;
    timeoutAt = undefined;
  };

  return {
    push(input, t) {
      if (finished || ended) return;
      const offset = received;
      if ((resetArmed && !fromOpen()) || resetTriggered) {
        // reset_peer at the first data (plus its timeout in toxiproxy's timing): nothing more passes.
        received += input.length;
        counters.received++;
        resetAt ??= t + (o.resetPeerAfterData ? o.resetPeerAfterMs : 0);
        resetTriggered = true;
        counters.dropped++;
        if (observer !== undefined) decide({ decision: 'dropped', cause: 'reset_peer', offset, length: input.length });
        return;
      }
      if (o.limitDataBytes > 0 && accepted - limitBase >= o.limitDataBytes) {
        received += input.length;
        counters.received++;
        counters.dropped++;
        if (observer !== undefined) decide({ decision: 'dropped', cause: 'limit_data', offset, length: input.length });
        return;
      }
      let chunk = input;
      const room = o.limitDataBytes - (accepted - limitBase);
      if (o.limitDataBytes > 0 && chunk.length > room) chunk = chunk.subarray(0, room);
      if (buffered + chunk.length > o.maxBufferedBytes) {
        throw new FaultError('ERR_BUFFER_FULL', `writing ${chunk.length} bytes would buffer more than ${o.maxBufferedBytes} bytes`, {
          details: { bufferedBytes: buffered, chunkBytes: chunk.length, maxBufferedBytes: o.maxBufferedBytes },
        });
      }
      received += input.length;
      counters.received++;
      accepted += chunk.length;
      buffered += chunk.length;
      const latency = o.jitterMs === 0 ? o.latencyMs : Math.max(0, o.latencyMs + (latencyRng.next() * 2 - 1) * o.jitterMs);
      let at = t + latency;
      const slices = pieces(chunk);
      if (slices.length > 1 && o.slicer) {
        counters.sliced++;
        if (observer !== undefined) {
          const cuts: number[] = [];
          let cut = offset;
          for (const slice of slices.slice(0, -1)) cuts.push((cut += slice.length));
          decide({ decision: 'sliced', cause: 'slicer', offset, length: chunk.length, cuts });
        }
      }
      let firstAt = at;
      for (const [index, piece] of slices.entries()) {
        let pieceAt = at + (index === 0 ? 0 : o.slicerDelayMs);
        if (bytesPerMs > 0) {
          busyUntil = Math.max(busyUntil, pieceAt) + piece.length / bytesPerMs;
          pieceAt = busyUntil;
        }
        enqueue(pieceAt, t, { kind: 'data', bytes: piece });
        if (index === 0) firstAt = Math.max(pieceAt, lastAt);
        at = pieceAt;
      }
      if (observer !== undefined) {
        if (lastAt > t) {
          const cause: FaultCause = o.latencyMs > 0 || o.jitterMs > 0 ? 'latency' : bytesPerMs > 0 ? 'bandwidth' : 'slicer';
          decide({ decision: 'delayed', cause, offset, length: chunk.length, delayMs: firstAt - t });
        }
        if (stalled()) decide({ decision: 'stalled', cause: o.stall === false ? 'timeout' : o.stall, offset, length: chunk.length });
      }
      if (o.limitDataBytes > 0 && accepted - limitBase >= o.limitDataBytes) {
        enqueue(lastAt, t, { kind: 'close', reason: 'limit-data' });
        if (observer !== undefined) decide({ decision: 'closed', cause: 'limit_data', offset: offset + chunk.length });
      }
    },
    end(t) {
      if (finished || ended) return;
      ended = true;
      enqueue(Math.max(lastAt, t) + o.slowCloseMs, t, { kind: 'end' });
    },
    take(t) {
      if (finished) return [];
      if (resetAt !== undefined && resetAt <= t) {
        finish();
        counters.reset++;
        if (observer !== undefined) decide({ decision: 'reset', cause: 'reset_peer', offset: received });
        return [{ kind: 'reset' }];
      }
      if (timeoutAt !== undefined && timeoutAt <= t) {
        counters.dropped += pendingData();
        finish();
        counters.reset++;
        if (observer !== undefined) decide({ decision: 'closed', cause: 'timeout', offset: received });
        return [{ kind: 'close', reason: 'timeout' }];
      }
      if (stalled()) return [];
      const out: StreamAction[] = [];
      while (head < queue.length) {
        const entry = queue[head];
        if (entry === undefined || entry.at > t) break;
        head++;
        out.push(entry.action);
        if (entry.action.kind === 'data') {
          buffered -= entry.action.bytes.length;
          counters.forwarded++;
          counters.bytes += entry.action.bytes.length;
          if (entry.at > entry.born) counters.delayed++;
        } else {
          if (entry.action.kind === 'close') counters.reset++;
          finish();
          break;
        }
      }
      if (head > 1024 && head * 2 > queue.length) {
        queue = queue.slice(head);
        head = 0;
      }
      return out;
    },
    nextDueAt() {
      let next = stalled() ? undefined : queue[head]?.at;
      for (const at of [resetAt, timeoutAt]) if (at !== undefined && (next === undefined || at < next)) next = at;
      return next;
    },
    reconfigure(update, t) {
      if (finished) return;
      const next = resolveStreamImpairments(update);
      const prev = o;
      const wasStalled = stalled();
      o = next;
      refreshRates();
      if (!resetTriggered && (next.resetPeer !== prev.resetPeer || next.resetPeerAfterMs !== prev.resetPeerAfterMs || next.resetPeerAfterData !== prev.resetPeerAfterData)) {
        const wasArmed = resetArmed;
        resetArmed = next.resetPeer >= 1 ? true : next.resetPeer <= 0 ? false : resetRng.chance(next.resetPeer);
        if (!resetArmed) resetAt = undefined;
        else if (!wasArmed || next.resetPeerAfterMs !== prev.resetPeerAfterMs) resetAt = fromOpen() ? t + next.resetPeerAfterMs : undefined;
      }
      if (next.timeoutMs !== prev.timeoutMs) timeoutAt = next.timeoutMs > 0 ? t + next.timeoutMs : undefined;
      if (prev.limitDataBytes === 0 && next.limitDataBytes > 0) limitBase = accepted;
      const faster =
        next.latencyMs < prev.latencyMs ||
        next.jitterMs < prev.jitterMs ||
        next.slicerDelayMs < prev.slicerDelayMs ||
        next.slowCloseMs < prev.slowCloseMs ||
        (prev.bandwidthKBps > 0 && (next.bandwidthKBps === 0 || next.bandwidthKBps > prev.bandwidthKBps));
      if (faster) {
        // Bring waiting bytes forward; a constant cap keeps their order.
        const cap = t + next.latencyMs;
        for (let i = head; i < queue.length; i++) {
          const entry = queue[i];
          if (entry !== undefined && entry.at > cap) entry.at = cap;
        }
        if (lastAt > cap) lastAt = cap;
        if (busyUntil > cap) busyUntil = cap;
      }
      if (wasStalled && !stalled()) {
        // What the stall held leaves now: it was held, so it counts as delayed.
        for (let i = head; i < queue.length; i++) {
          const entry = queue[i];
          if (entry !== undefined && entry.at < t) entry.at = t;
        }
        if (lastAt < t) lastAt = t;
      }
    },
    observe(next) {
      observer = next;
    },
    clear() {
      queue = [];
      head = 0;
      buffered = 0;
    },
    get bufferedBytes() {
      return buffered;
    },
    get finished() {
      return finished;
    },
    counters,
  };
}
