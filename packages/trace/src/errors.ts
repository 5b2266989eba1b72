/**
 * Every failure `@netlab/trace` reports is a `TraceError` whose `code` comes from this fixed
 * table. Codes are stable API: tools and tests match on them, never on messages.
 */
export const TRACE_ERROR_CODES = {
  /** A trace line is not valid JSON or not a valid v1 record (the message names the line and field). */
  ERR_INVALID_RECORD: 'invalid trace record',
  /** A record's `v` is a version this reader does not know (newer than 1). */
  ERR_UNSUPPORTED_VERSION: 'unsupported trace version',
  /** A trace line is longer than `maxLineBytes`. */
  ERR_LINE_TOO_LONG: 'trace line too long',
  /** A trace has more records than `maxRecords`. */
  ERR_TOO_MANY_RECORDS: 'too many trace records',
  /** The trace file could not be read. */
  ERR_READ: 'cannot read trace',
  /** A writer or recorder was given a value it cannot record (a bad endpoint, a bad option). */
  ERR_INVALID_OPTION: 'invalid option',
  /** A writer was used after `close()`. */
  ERR_CLOSED: 'trace writer closed',
} as const;

export type TraceErrorCode = keyof typeof TRACE_ERROR_CODES;

export interface TraceErrorOptions {
  /** The underlying error, if any (a JSON syntax error, a file system error). */
  readonly cause?: unknown;
  /** The 1-based line number of the trace the error is about, when it is about one. */
  readonly line?: number;
}

/** The one error class of `@netlab/trace`. */
export class TraceError extends Error {
  override readonly name = 'TraceError';
  readonly code: TraceErrorCode;
  /** The 1-based line of the trace the error is about, when there is one. */
  readonly line: number | undefined;

  constructor(code: TraceErrorCode, message?: string, options: TraceErrorOptions = {}) {
    const text = message ?? TRACE_ERROR_CODES[code];
    super(options.line === undefined ? text : `line ${options.line}: ${text}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.line = options.line;
  }
}

/** True when `value` is a {@link TraceError}, optionally with the given code. */
export function isTraceError(value: unknown, code?: TraceErrorCode): value is TraceError {
  return value instanceof TraceError && (code === undefined || value.code === code);
}
