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
 * - timeout      with `timeoutMs` > 0 nothing is delivered; `timeoutMs` after creation the
 *                connection is closed (data arriving meanwhile is counted `dropped`).
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
 * Limits: at most `maxBufferedBytes` bytes wait; `push()` past it throws ERR_BUFFER_FULL. Drivers
 * pause their source at `highWaterMark`, so a well-behaved source never gets there.
 */
import { type DirectionCounters, createDirectionCounters } from './counters.js';
import { FaultError } from './errors.js';
import { MAX_DELAY_MS } from './datagram-impairments.js';
import type { Prng } from './prng.js';
import { checkInteger, checkNumber, checkProbability } from './validate.js';

export const DEFAULT_SLICER_AVERAGE_SIZE = 64;
export const DEFAULT_SLICER_SIZE_VARIATION = 32;
export const DEFAULT_HIGH_WATER_MARK = 64 * 1024;
export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

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
  /** Probability that the connection is reset (toxiproxy `reset_peer` toxicity). Default 0. */
  readonly resetPeer?: number;
  /** When a chosen connection is reset, ms after it opened; 0 = at its first data (toxiproxy `reset_peer.timeout`). Default 0. */
  readonly resetPeerAfterMs?: number;
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
  /** Discards everything waiting. */
  clear(): void;
  /** Bytes accepted and not yet taken. */
  readonly bufferedBytes: number;
  /** True once an `end`, `close` or `reset` action has been taken. */
  readonly finished: boolean;
  readonly counters: DirectionCounters;
}

interface Entry {
  readonly at: number;
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
    resetPeer: checkProbability('resetPeer', options.resetPeer ?? 0),
    resetPeerAfterMs: checkNumber('resetPeerAfterMs', options.resetPeerAfterMs ?? 0, 0, MAX_DELAY_MS),
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
  const o = resolveStreamImpairments(options);
  const latencyRng = prng.fork('latency');
  const slicerRng = prng.fork('slicer');
  const counters = createDirectionCounters();
  const bytesPerMs = o.bandwidthKBps; // 1 KB/s = 1000 B/s = 1 B/ms
  const maxPiece = bytesPerMs > 0 ? Math.max(1, Math.floor(bytesPerMs * 100)) : Number.POSITIVE_INFINITY;
  const resetArmed = prng.fork('reset-peer').chance(o.resetPeer);
  let resetAt = resetArmed && o.resetPeerAfterMs > 0 ? now + o.resetPeerAfterMs : undefined;
  let timeoutAt = o.timeoutMs > 0 ? now + o.timeoutMs : undefined;
  let queue: Entry[] = [];
  let head = 0;
  let buffered = 0;
  let accepted = 0;
  let lastAt = now;
  let busyUntil = now;
  let ended = false;
  let finished = false;

  const enqueue = (at: number, action: StreamAction): void => {
    lastAt = Math.max(lastAt, at);
    queue.push({ at: lastAt, action });
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
      if (resetArmed && o.resetPeerAfterMs === 0) {
        resetAt ??= t;
        counters.dropped++;
        return;
      }
      if (timeoutAt !== undefined || (o.limitDataBytes > 0 && accepted >= o.limitDataBytes)) {
        counters.dropped++;
        return;
      }
      let chunk = input;
      if (o.limitDataBytes > 0 && accepted + chunk.length > o.limitDataBytes) chunk = chunk.subarray(0, o.limitDataBytes - accepted);
      if (buffered + chunk.length > o.maxBufferedBytes) {
        throw new FaultError('ERR_BUFFER_FULL', `writing ${chunk.length} bytes would buffer more than ${o.maxBufferedBytes} bytes`, {
          details: { bufferedBytes: buffered, chunkBytes: chunk.length, maxBufferedBytes: o.maxBufferedBytes },
        });
      }
      accepted += chunk.length;
      buffered += chunk.length;
      const latency = o.jitterMs === 0 ? o.latencyMs : Math.max(0, o.latencyMs + (latencyRng.next() * 2 - 1) * o.jitterMs);
      let at = t + latency;
      for (const [index, piece] of pieces(chunk).entries()) {
        let pieceAt = at + (index === 0 ? 0 : o.slicerDelayMs);
        if (bytesPerMs > 0) {
          busyUntil = Math.max(busyUntil, pieceAt) + piece.length / bytesPerMs;
          pieceAt = busyUntil;
        }
        enqueue(pieceAt, { kind: 'data', bytes: piece });
        at = pieceAt;
      }
      if (lastAt > t) counters.delayed++;
      if (o.limitDataBytes > 0 && accepted >= o.limitDataBytes) enqueue(lastAt, { kind: 'close', reason: 'limit-data' });
    },
    end(t) {
      if (finished || ended) return;
      ended = true;
      enqueue(Math.max(lastAt, t) + o.slowCloseMs, { kind: 'end' });
    },
    take(t) {
      if (finished) return [];
      if (resetAt !== undefined && resetAt <= t) {
        finish();
        counters.reset++;
        return [{ kind: 'reset' }];
      }
      if (timeoutAt !== undefined && timeoutAt <= t) {
        finish();
        counters.reset++;
        return [{ kind: 'close', reason: 'timeout' }];
      }
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
      let next = queue[head]?.at;
      for (const at of [resetAt, timeoutAt]) if (at !== undefined && (next === undefined || at < next)) next = at;
      return next;
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
