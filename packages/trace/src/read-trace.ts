/**
 * Reading a trace: JSON Lines, each line validated against the v1 schema (record.ts). A bad line
 * is a TraceError naming its 1-based line number; blank lines are skipped. Every line is capped
 * (`maxLineBytes`) before it is parsed, and a trace is capped in records (`maxRecords`), so a
 * corrupt or hostile file cannot make the reader buffer without bound.
 */
import { createReadStream } from 'node:fs';
import { createLineDecoder, isCodecError } from '@netlab/codec';
import * as v from 'valibot';
import { TraceError } from './errors.js';
import { TRACE_VERSION, type TraceRecord, traceRecordSchema } from './record.js';

/** Longest trace line accepted by default: 1 MiB (a 64 KiB data record is about 88 KiB). */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
/** Most records a trace may hold by default. */
export const DEFAULT_MAX_RECORDS = 1_000_000;

export interface ReadTraceOptions {
  /** Longest line, bytes, terminator excluded. Default {@link DEFAULT_MAX_LINE_BYTES}. */
  readonly maxLineBytes?: number;
  /** Most records. Default {@link DEFAULT_MAX_RECORDS}. */
  readonly maxRecords?: number;
}

/** Parses one trace line (1-based `line` for the error message). */
export function parseTraceLine(text: string, line: number): TraceRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new TraceError('ERR_INVALID_RECORD', `not JSON (${(error as Error).message})`, { line, cause: error });
  }
  if (typeof value === 'object' && value !== null && 'v' in value && value.v !== TRACE_VERSION) {
    const version = (value).v;
    throw new TraceError('ERR_UNSUPPORTED_VERSION', `trace version ${JSON.stringify(version)} is not supported (this reader knows version ${TRACE_VERSION})`, { line });
  }
  const result = v.safeParse(traceRecordSchema, value);
  if (!result.success) {
    const issue = result.issues[0];
    const path = issue.path?.map((item) => String(item.key)).join('.') ?? '';
    throw new TraceError('ERR_INVALID_RECORD', path === '' ? issue.message : `${path}: ${issue.message}`, { line });
  }
  return result.output;
}

/** Where a trace comes from: a file path, its lines, or a stream of chunks (e.g. `process.stdin`). */
export type TraceSource = string | URL | Iterable<string> | AsyncIterable<string | Uint8Array>;

function isAsync(source: TraceSource): source is AsyncIterable<string | Uint8Array> {
  return typeof source === 'object' && Symbol.asyncIterator in source;
}

/**
 * Yields the records of a trace one at a time (bounded memory: one line at a time).
 * Strings in an `Iterable` are lines; chunks of an `AsyncIterable` are split into lines.
 */
export async function* streamTrace(source: TraceSource, options: ReadTraceOptions = {}): AsyncGenerator<TraceRecord> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
  let line = 0;
  let records = 0;
  const take = (text: string): TraceRecord | undefined => {
    line += 1;
    if (text.trim() === '') return undefined;
    if (Buffer.byteLength(text) > maxLineBytes) throw new TraceError('ERR_LINE_TOO_LONG', `longer than ${maxLineBytes} bytes`, { line });
    records += 1;
    if (records > maxRecords) throw new TraceError('ERR_TOO_MANY_RECORDS', `more than ${maxRecords} records`, { line });
    return parseTraceLine(text, line);
  };
  if (typeof source === 'string' || source instanceof URL || isAsync(source)) {
    const chunks: AsyncIterable<string | Uint8Array> = typeof source === 'string' || source instanceof URL ? createReadStream(source) : source;
    const decoder = createLineDecoder({ maxLineBytes });
    const split = function* (lines: readonly string[]): Generator<TraceRecord> {
      for (const text of lines) {
        const record = take(text);
        if (record !== undefined) yield record;
      }
    };
    // Lines decoded before bad bytes in the same chunk are still records: take them, then fail.
    const push = (chunk: string | Uint8Array): { readonly lines: readonly string[]; readonly error?: unknown } => {
      const lines: string[] = [];
      try {
        decoder.pushEach(typeof chunk === 'string' ? Buffer.from(chunk) : chunk, (text) => {
          lines.push(text);
        });
        return { lines };
      } catch (error) {
        return { lines, error };
      }
    };
    try {
      for await (const chunk of chunks) {
        const { lines, error } = push(chunk);
        yield* split(lines);
        if (error !== undefined) throw toTraceError(error, line + 1, maxLineBytes);
      }
    } catch (error) {
      if (error instanceof TraceError) throw error;
      throw new TraceError('ERR_READ', (error as Error).message, { cause: error });
    }
    let rest: readonly string[];
    try {
      rest = decoder.end();
    } catch (error) {
      throw toTraceError(error, line + 1, maxLineBytes);
    }
    yield* split(rest);
    return;
  }
  for (const text of source) {
    const record = take(text);
    if (record !== undefined) yield record;
  }
}


function toTraceError(error: unknown, line: number, maxLineBytes: number): TraceError {
  if (isCodecError(error, 'ERR_LINE_TOO_LONG')) return new TraceError('ERR_LINE_TOO_LONG', `longer than ${maxLineBytes} bytes`, { line, cause: error });
  if (isCodecError(error, 'ERR_INVALID_UTF8')) return new TraceError('ERR_INVALID_RECORD', 'not UTF-8', { line, cause: error });
  return new TraceError('ERR_READ', (error as Error).message, { cause: error });
}

/** Reads a whole trace into memory (at most `maxRecords` records). */
export async function readTrace(source: TraceSource, options: ReadTraceOptions = {}): Promise<TraceRecord[]> {
  const records: TraceRecord[] = [];
  for await (const record of streamTrace(source, options)) records.push(record);
  return records;
}

/** Parses a whole trace held in a string. */
export function parseTrace(text: string, options: ReadTraceOptions = {}): TraceRecord[] {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
  const records: TraceRecord[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const raw = lines[index] ?? '';
    const textLine = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (textLine.trim() === '') continue;
    if (Buffer.byteLength(textLine) > maxLineBytes) throw new TraceError('ERR_LINE_TOO_LONG', `longer than ${maxLineBytes} bytes`, { line: index + 1 });
    if (records.length >= maxRecords) throw new TraceError('ERR_TOO_MANY_RECORDS', `more than ${maxRecords} records`, { line: index + 1 });
    records.push(parseTraceLine(textLine, index + 1));
  }
  return records;
}
