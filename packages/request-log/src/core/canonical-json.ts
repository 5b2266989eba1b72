/**
 * Canonical JSON: the one byte form of a payload that its fingerprint is computed from.
 *
 * Rules: object keys sorted by UTF-16 code unit order (as `Array.prototype.sort` does), at every
 * depth; no whitespace; numbers, strings and literals as `JSON.stringify` writes them; array
 * order kept. So `{"b":1,"a":2}` and `{"a":2,"b":1}` have the same canonical form, `[1,2]` and
 * `[2,1]` do not. Only JSON values are accepted: `undefined`, functions, symbols, bigints,
 * non-finite numbers, cycles and non-plain objects (Date, Map...) are refused, so nothing is
 * silently dropped or converted. Depth is capped at {@link MAX_JSON_DEPTH}.
 */
import { RequestLogError } from '../errors.js';

/** A JSON value. */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Deepest nesting accepted in a payload or reply. */
export const MAX_JSON_DEPTH = 64;

function invalid(path: string, why: string): RequestLogError {
  return new RequestLogError('ERR_INVALID_REQUEST', `not a JSON value at ${path === '' ? 'the root' : path}: ${why}`, {
    details: { path },
  });
}

function write(value: unknown, path: string, depth: number, seen: Set<object>): string {
  if (depth > MAX_JSON_DEPTH) throw invalid(path, `nested deeper than ${MAX_JSON_DEPTH}`);
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw invalid(path, String(value));
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (seen.has(value)) throw invalid(path, 'cycle');
      seen.add(value);
      let out: string;
      if (Array.isArray(value)) {
        out = `[${value.map((item, i) => write(item, `${path}[${i}]`, depth + 1, seen)).join(',')}]`;
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) throw invalid(path, 'not a plain object');
        const record = value as Record<string, unknown>;
        const keys = Object.keys(record).sort();
        out = `{${keys.map((key) => `${JSON.stringify(key)}:${write(record[key], path === '' ? key : `${path}.${key}`, depth + 1, seen)}`).join(',')}}`;
      }
      seen.delete(value);
      return out;
    }
    default:
      throw invalid(path, typeof value);
  }
}

/** The canonical JSON text of `value`; throws `ERR_INVALID_REQUEST` for anything that is not JSON. */
export function canonicalJson(value: unknown): string {
  return write(value, '', 0, new Set());
}
