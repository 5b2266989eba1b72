import type { Decoder } from '../src/decoder.js';

export const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Pushes `bytes` in chunks of `size` and returns every message, then `end()`'s. */
export function decodeInChunks<T>(decoder: Decoder<T>, bytes: Uint8Array, size: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(...decoder.push(bytes.subarray(i, i + size)));
  out.push(...decoder.end());
  return out;
}

/** Pushes `bytes` cut at the given offsets. */
export function decodeAtCuts<T>(decoder: Decoder<T>, bytes: Uint8Array, cuts: readonly number[]): T[] {
  const out: T[] = [];
  let start = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    out.push(...decoder.push(bytes.subarray(start, cut)));
    start = cut;
  }
  out.push(...decoder.push(bytes.subarray(start)));
  out.push(...decoder.end());
  return out;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
