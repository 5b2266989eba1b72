import { checkInteger } from '@netlab/ground';

/**
 * Every failure the codec reports is a `CodecError` whose `code` comes from this fixed table.
 * Codes are stable API: tools and tests match on them, never on messages.
 */
export const CODEC_ERROR_CODES = {
  /** A line grew past `maxLineBytes` before its terminator arrived. */
  ERR_LINE_TOO_LONG: 'line exceeds the byte limit',
  /** A length prefix announced more than `maxFrameBytes` (checked before any body is buffered). */
  ERR_FRAME_TOO_LARGE: 'frame exceeds the byte limit',
  /** A datagram, or a message to be sent as one, is larger than `maxDatagramBytes`. */
  ERR_DATAGRAM_TOO_LARGE: 'datagram exceeds the byte limit',
  /** Bytes that are not well-formed UTF-8 (RFC 3629) where text was expected. */
  ERR_INVALID_UTF8: 'invalid UTF-8',
  /** A varint length prefix that is over-long or does not fit in 32 bits. */
  ERR_INVALID_VARINT: 'invalid varint length prefix',
  /** A frame whose payload is not valid JSON. */
  ERR_MALFORMED_JSON: 'malformed JSON',
  /** JSON that parsed but does not match the message schema. */
  ERR_SCHEMA: 'message does not match the schema',
  /** A schema whose validation is asynchronous: codecs decode synchronously. */
  ERR_ASYNC_SCHEMA: 'schema validation must be synchronous',
  /** The stream ended inside a frame (length-prefixed framing only). */
  ERR_TRUNCATED: 'stream ended inside a frame',
  /** A line to encode contains a line terminator, which would split it into two messages. */
  ERR_INVALID_LINE: 'line contains a line terminator',
  /** A bad option value (negative limit, unknown policy, ...). */
  ERR_INVALID_OPTION: 'invalid option',
  /** `push()` after `end()`. */
  ERR_DECODER_ENDED: 'decoder already ended',
} as const;

export type CodecErrorCode = keyof typeof CODEC_ERROR_CODES;

export interface CodecErrorOptions {
  /** The underlying error, if any (a JSON `SyntaxError`, a schema issue list...). */
  readonly cause?: unknown;
  /** Machine-readable context: limits, offsets, schema issues. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The one error class of `@netlab/codec`. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly code: CodecErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: CodecErrorCode, message?: string, options: CodecErrorOptions = {}) {
    super(message ?? CODEC_ERROR_CODES[code], options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** True when `value` is a {@link CodecError}, optionally with the given code. */
export function isCodecError(value: unknown, code?: CodecErrorCode): value is CodecError {
  return value instanceof CodecError && (code === undefined || value.code === code);
}

/** Throws `ERR_INVALID_OPTION` unless `value` is an integer in [min, max] (the ground floor's one range check). */
export function assertIntegerOption(name: string, value: number, min: number, max: number): void {
  const problem = checkInteger(name, value, min, max);
  if (problem !== undefined) throw new CodecError('ERR_INVALID_OPTION', problem.message, { details: problem.details });
}
