/**
 * Canonical JSON: the one byte form of a payload that its fingerprint is computed from.
 *
 * Rules: object keys sorted by UTF-16 code unit order (as `Array.prototype.sort` does), at every
 * depth; no whitespace; numbers, strings and literals as `JSON.stringify` writes them; array
 * order kept. So `{"b":1,"a":2}` and `{"a":2,"b":1}` have the same canonical form, `[1,2]` and
 * `[2,1]` do not. Only JSON values are accepted: `undefined`, functions, symbols, bigints,
 * non-finite numbers, non-plain objects (Date, Map...) and cycles are refused, so nothing is
 * silently dropped or converted. Nesting is capped at {@link MAX_JSON_DEPTH} levels of objects
 * and arrays (which also catches cycles).
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

// Cycles need no bookkeeping: a cyclic value is infinitely deep, so the depth limit refuses it.
function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidJson(String(value));
      return JSON.stringify(value);
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
      for (const key of Object.keys(record).sort()) {
        if (!first) out += ',';
        first = false;
        try {
          out += `${JSON.stringify(key)}:${write(record[key], depth + 1)}`;
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
