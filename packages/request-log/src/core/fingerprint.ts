/**
 * Payload fingerprints: SHA-256 (hex) of the canonical JSON text, so key order never matters and
 * any other difference does. Stores keep the fingerprint and the canonical payload of every
 * completion record; the payload is what lets a mismatch name the fields that differ.
 */
import { createHash } from 'node:crypto';
import { type JsonValue, canonicalJson } from './canonical-json.js';

/** At most this many differing fields are named in a mismatch. */
export const MAX_DIFF_FIELDS = 16;

/** SHA-256 hex of an already canonical JSON text. */
export function fingerprintCanonical(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex');
}

/** SHA-256 hex of `payload`'s canonical JSON. */
export function fingerprint(payload: unknown): string {
  return fingerprintCanonical(canonicalJson(payload));
}

function isObject(value: JsonValue | undefined): value is Readonly<Record<string, JsonValue>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function walk(a: JsonValue | undefined, b: JsonValue | undefined, path: string, out: string[]): void {
  if (out.length >= MAX_DIFF_FIELDS) return;
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) walk(a[key], b[key], path === '' ? key : `${path}.${key}`, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    const left = a as readonly JsonValue[];
    const right = b as readonly JsonValue[];
    for (let i = 0; i < left.length; i++) walk(left[i], right[i], `${path}[${i}]`, out);
    return;
  }
  const same = a !== undefined && b !== undefined && canonicalJson(a) === canonicalJson(b);
  if (!same) out.push(path);
}

/**
 * The dotted paths (`amount`, `to.account`, `items[2]`) at which two payloads differ, sorted,
 * at most {@link MAX_DIFF_FIELDS}. `''` stands for the whole payload (different types at the root).
 */
export function diffPayloads(a: JsonValue, b: JsonValue): string[] {
  const out: string[] = [];
  walk(a, b, '', out);
  return out;
}
