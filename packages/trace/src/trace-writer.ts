/**
 * The trace writer: takes formatted lines (the recorder's fast path) or whole records, and
 * writes them to a sink (a file stream, `process.stderr`, anything with `write(text) → boolean`).
 *
 * Bounded, and never in the traced program's way. While the sink accepts writes, each line goes
 * straight to it. When the sink signals backpressure (`write` returned false), lines are held
 * here, up to `maxBufferedBytes`; once that is full, **new lines are dropped and counted** rather
 * than blocking or slowing the program being traced (a server must not stall because its trace
 * file is on a slow disk). When the sink drains, the held lines go out and then one `note` record
 * says how many were dropped, so a trace with a gap says so where the gap is.
 */
import { TraceError } from './errors.js';
import { TRACE_VERSION, type TraceRecord } from './record.js';

/** Most bytes held while the sink is backpressured: 4 MiB. */
export const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Longest `close()` waits for a backpressured sink to drain: 10 s. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/** Where trace lines go. A Node `Writable` (file stream, `process.stderr`) is one. */
export interface TraceSink {
  /** Writes text; false means "slow down" (then `drain` is emitted when it may resume). */
  write(text: string): boolean;
  once?(event: 'drain', listener: () => void): unknown;
  /** Ends the sink (called by `close()` when `end` is true), with a callback once flushed. */
  end?(callback?: () => void): unknown;
}

export interface TraceWriterOptions {
  /** Most bytes held while the sink is backpressured; past it lines are dropped and counted. Default {@link DEFAULT_MAX_BUFFERED_BYTES}. */
  readonly maxBufferedBytes?: number;
  /** Whether `close()` ends the sink. Default true; pass false for `process.stderr`. */
  readonly end?: boolean;
  /** The clock for the writer's own records (the drop note), ms since the epoch. Default {@link preciseNow}. */
  readonly now?: () => number;
  /** Longest `close()` waits for the sink to drain; then what is still held is dropped (and counted). Default {@link DEFAULT_CLOSE_TIMEOUT_MS}. */
  readonly closeTimeoutMs?: number;
}

export interface TraceWriterStats {
  /** Lines handed to the sink. */
  readonly written: number;
  /** Lines dropped because the sink was slow and the buffer full. */
  readonly dropped: number;
  /** Bytes held now, waiting for the sink to drain. */
  readonly bufferedBytes: number;
}

export interface TraceWriter {
  /** Writes one formatted line (a JSON object, no newline; the writer adds it). */
  writeLine(line: string): void;
  /** Writes one record (formatted with JSON.stringify: the convenient, slower path). */
  write(record: TraceRecord): void;
  stats(): TraceWriterStats;
  /**
   * Flushes what is held (waiting at most `closeTimeoutMs` for the sink), then ends the sink
   * (unless `end: false`). Later writes throw ERR_CLOSED.
   */
  close(): Promise<void>;
}

/** Milliseconds since the epoch with sub-millisecond precision, rounded to the microsecond. */
export function preciseNow(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;
}

/** Creates a writer on `sink`. */
export function createTraceWriter(sink: TraceSink, options: TraceWriterOptions = {}): TraceWriter {
  const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  if (!Number.isSafeInteger(maxBufferedBytes) || maxBufferedBytes < 0) {
    throw new TraceError('ERR_INVALID_OPTION', `maxBufferedBytes must be a non-negative integer, got ${String(maxBufferedBytes)}`);
  }
  const now = options.now ?? preciseNow;
  let held: string[] = [];
  let heldBytes = 0;
  let waiting = false;
  let written = 0;
  let dropped = 0;
  let droppedSinceNote = 0;
  let closed = false;

  const drain = (): void => {
    waiting = false;
    const lines = held;
    held = [];
    heldBytes = 0;
    for (const text of lines) {
      written += 1;
      if (!sink.write(text)) waiting = true;
    }
    if (droppedSinceNote > 0) {
      const note = `{"v":${TRACE_VERSION},"t":${now()},"kind":"note","role":"check","label":"trace-writer","text":"${droppedSinceNote} trace records dropped here: the trace sink was too slow"}\n`;
      droppedSinceNote = 0;
      written += 1;
      if (!sink.write(note)) waiting = true;
    }
    if (waiting) sink.once?.('drain', drain);
  };

  const writeText = (text: string): void => {
    if (closed) throw new TraceError('ERR_CLOSED');
    if (!waiting) {
      written += 1;
      if (!sink.write(text)) {
        waiting = true;
        if (sink.once === undefined) waiting = false;
        else sink.once('drain', drain);
      }
      return;
    }
    // Length in UTF-16 units: equal to the byte length for the ASCII JSON records are almost always.
    if (heldBytes + text.length > maxBufferedBytes) {
      dropped += 1;
      droppedSinceNote += 1;
      return;
    }
    held.push(text);
    heldBytes += text.length;
  };

  return {
    writeLine(line) {
      writeText(`${line}\n`);
    },
    write(record) {
      writeText(`${JSON.stringify(record)}\n`);
    },
    stats: () => ({ written, dropped, bufferedBytes: heldBytes }),
    async close() {
      if (closed) return;
      const deadline = performance.now() + (options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
      while (waiting) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
          sink.once?.('drain', () => { resolve(); });
        });
        clearTimeout(timer);
      }
      closed = true;
      dropped += held.length;
      held = [];
      heldBytes = 0;
      if (options.end !== false && sink.end !== undefined) {
        const end = sink.end.bind(sink);
        await new Promise<void>((resolve) => end(() => { resolve(); }));
      }
    },
  };
}
