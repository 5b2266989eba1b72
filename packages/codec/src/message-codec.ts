/**
 * Message codecs turn one frame's payload into one typed message and back. They know nothing of
 * framing: compose them with a framing through `createStreamCodec` (TCP) or
 * `createDatagramCodec` (UDP).
 */
import { CodecError } from './errors.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import { type InvalidUtf8Policy, decodeUtf8, encodeUtf8 } from './utf8.js';

export interface MessageCodec<T> {
  /** Decodes one payload; throws a `CodecError` on bad input. */
  decode(payload: Uint8Array): T;
  encode(message: T): Uint8Array;
}

export interface TextCodecOptions {
  /** `'error'` (default): `ERR_INVALID_UTF8`. `'replace'`: U+FFFD for bad bytes. */
  readonly invalidUtf8?: InvalidUtf8Policy;
  /**
   * Drop one trailing `\n` or `\r\n` when decoding, so `echo hi | nc -u` and a bare `hi` read
   * the same over UDP. Default false.
   */
  readonly stripTrailingNewline?: boolean;
}

/** UTF-8 text payloads. */
export function createTextCodec(options: TextCodecOptions = {}): MessageCodec<string> {
  const policy = options.invalidUtf8 ?? 'error';
  const strip = options.stripTrailingNewline ?? false;
  return {
    decode(payload) {
      const text = decodeUtf8(payload, policy);
      if (!strip || !text.endsWith('\n')) return text;
      return text.endsWith('\r\n') ? text.slice(0, -2) : text.slice(0, -1);
    },
    encode: (message) => encodeUtf8(message),
  };
}

export interface JsonCodecOptions {
  /** Also validate outgoing messages against the schema (catches bugs, costs time). Default false. */
  readonly validateOnEncode?: boolean;
}

/** One schema issue, flattened for error details and logs. */
export interface SchemaIssue {
  /** Dotted path to the offending value (`amount`, `items.2.id`), or `''` for the root. */
  readonly path: string;
  readonly message: string;
}

function issuePath(issue: StandardSchemaV1.Issue): string {
  return (issue.path ?? [])
    .map((segment) => (typeof segment === 'object' ? segment.key : segment))
    .map((key) => (typeof key === 'symbol' ? key.toString() : String(key)))
    .join('.');
}

/** Validates `value` against a Standard Schema synchronously; throws `ERR_SCHEMA` or `ERR_ASYNC_SCHEMA`. */
export function validateSchema<T>(schema: StandardSchemaV1<unknown, T>, value: unknown): T {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) {
    // Do not leave a rejected promise unhandled.
    result.catch(() => undefined);
    throw new CodecError('ERR_ASYNC_SCHEMA');
  }
  if (result.issues !== undefined) {
    const issues: SchemaIssue[] = result.issues.map((issue) => ({ path: issuePath(issue), message: issue.message }));
    const summary = issues
      .slice(0, 3)
      .map((issue) => (issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`))
      .join('; ');
    throw new CodecError('ERR_SCHEMA', `message does not match the schema (${summary})`, { details: { issues } });
  }
  return result.value;
}

/**
 * JSON payloads (UTF-8, RFC 8259) validated by a Standard Schema: decode returns a typed message
 * or throws `ERR_INVALID_UTF8`, `ERR_MALFORMED_JSON` or `ERR_SCHEMA`.
 */
export function createJsonCodec<T>(schema: StandardSchemaV1<unknown, T>, options: JsonCodecOptions = {}): MessageCodec<T> {
  const validateOnEncode = options.validateOnEncode ?? false;
  return {
    decode(payload) {
      const text = decodeUtf8(payload, 'error');
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        // SyntaxError, or RangeError for absurd nesting: both are the peer's malformed input.
        throw new CodecError('ERR_MALFORMED_JSON', undefined, { cause: error, details: { byteLength: payload.length } });
      }
      return validateSchema(schema, value);
    },
    encode(message) {
      if (validateOnEncode) validateSchema(schema, message);
      return encodeUtf8(JSON.stringify(message));
    },
  };
}
