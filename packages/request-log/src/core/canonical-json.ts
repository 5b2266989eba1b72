/**
 * Canonical JSON: the one byte form of a payload that its fingerprint (and an envelope's MAC) is
 * computed from. It is RFC 8785, the JSON Canonicalization Scheme (JCS), and is tested against
 * the JCS test vectors (test/core/canonical-json.test.ts).
 *
 * Rules (RFC 8785 §3.2): object keys sorted by UTF-16 code unit order (as `Array.prototype.sort`
 * does), at every depth; no whitespace; strings as `JSON.stringify` writes them (only `"`, `\\` and
 * U+0000–U+001F escaped, the latter as `\b \t \n \f \r` or lowercase `\u00xx`; everything else
 * as is); numbers as ECMAScript's Number-to-String (shortest round-trip form, `-0` as `0`);
 * literals as themselves; array order kept. So `{"b":1,"a":2}` and `{"a":2,"b":1}` have the same
 * canonical form, `[1,2]` and `[2,1]` do not. Only I-JSON values (RFC 7493) are accepted:
 * `undefined`, functions, symbols, bigints, non-finite numbers, non-plain objects (Date, Map...),
 * strings or keys holding a lone surrogate, and cycles are refused, so nothing is silently dropped
 * or converted. Nesting is capped at {@link MAX_JSON_DEPTH} levels of objects and arrays (which
 * also catches cycles).
 */
import { RequestLogError } from '../errors.js';

/** A JSON value. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Deepest nesting accepted in a payload or reply. */
export const MAX_JSON_DEPTH = 64;

/** Thrown while writing; the path is assembled on the way out, so the happy path builds none. */
class InvalidJson extends Error {
  readonly segments: string[] = [];
}

function at(error: unknown, segment: string): never {
  if (error instanceof InvalidJson) error.segments.unshift(segment);
  throw error;
}

/**
 * `JSON.stringify(text)` for a string, without the call when nothing needs escaping (printable
 * ASCII other than `"` and `\`: the common case for keys and short values).
 */
function quote(text: string): string {
  if (text.length > 64) return quoteSlowly(text);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e || code === 0x22 || code === 0x5c) return quoteSlowly(text);
  }
  return `"${text}"`;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function quoteSlowly(text: string): string {
  // JSON.stringify would write a lone surrogate as an escape; I-JSON (and so JCS) has no such value.
  if (LONE_SURROGATE.test(text)) throw new InvalidJson('a string holds a lone surrogate (not I-JSON)');
  return JSON.stringify(text);
}

/**
 * Sorts keys in place in code-unit order (what `Array.prototype.sort` does by default): an
 * insertion sort for the few keys of a typical payload (no comparator calls into the runtime,
 * nothing to do when they are already in order), the built-in sort beyond.
 */
function sortKeys(keys: string[]): void {
  if (keys.length > 16) {
    keys.sort();
    return;
  }
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] ?? '';
    let j = i - 1;
    for (let before = keys[j] ?? ''; j >= 0 && before > key; before = keys[--j] ?? '') keys[j + 1] = before;
    keys[j + 1] = key;
  }
}

// Cycles need no bookkeeping: a cyclic value is infinitely deep, so the depth limit refuses it.
function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidJson(String(value));
      // Number-to-string is what JSON.stringify writes for a finite number (-0 included: "0").
      return String(value);
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_JSON_DEPTH) throw new InvalidJson(`nested deeper than ${MAX_JSON_DEPTH} (or a cycle)`);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          try {
            out += write(value[i], depth + 1);
          } catch (error) {
            at(error, `[${i}]`);
          }
        }
        return `${out}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw new InvalidJson('not a plain object');
      const record = value as Record<string, unknown>;
      let out = '{';
      let first = true;
      const keys = Object.keys(record);
      sortKeys(keys);
      for (const key of keys) {
        if (!first) out += ',';
        first = false;
        try {
          out += `${quote(key)}:${write(record[key], depth + 1)}`;
        } catch (error) {
          at(error, `.${key}`);
        }
      }
      return `${out}}`;
    }
    default:
      throw new InvalidJson(typeof value);
  }
}

/** The canonical JSON text of `value`; throws `ERR_INVALID_REQUEST` for anything that is not JSON. */
export function canonicalJson(value: unknown): string {
  try {
    return write(value, 0);
  } catch (error) {
    if (!(error instanceof InvalidJson)) throw error;
    const path = error.segments.join('').replace(/^\./, '');
    throw new RequestLogError('ERR_INVALID_REQUEST', `not a JSON value at ${path === '' ? 'the root' : path}: ${error.message}`, {
      details: { path },
    });
  }
}
