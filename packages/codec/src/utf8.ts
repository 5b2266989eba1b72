/**
 * UTF-8 helpers (RFC 3629). Decoding is strict by default: overlong forms, surrogates, code
 * points above U+10FFFF and stray continuation bytes are errors, never silently replaced.
 */
import { CodecError } from './errors.js';

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();
/**
 * Node's Buffer when present: on Node 20, `Buffer.from(text)` encodes short strings about ten
 * times faster than `TextEncoder.encode` (pooled allocation). Elsewhere, TextEncoder.
 */
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

/** How to treat bytes that are not UTF-8: a typed error (default) or U+FFFD replacement. */
export type InvalidUtf8Policy = 'error' | 'replace';

/** Decodes UTF-8 text under the given policy; throws `ERR_INVALID_UTF8` in `error` mode. */
export function decodeUtf8(bytes: Uint8Array, policy: InvalidUtf8Policy = 'error'): string {
  if (policy === 'replace') return lenient.decode(bytes);
  try {
    return strict.decode(bytes);
  } catch (error) {
    throw new CodecError('ERR_INVALID_UTF8', undefined, { cause: error, details: { byteLength: bytes.byteLength } });
  }
}

/** UTF-8 bytes of `text` (lone surrogates become U+FFFD, as the WHATWG encoder does). */
export function encodeUtf8(text: string): Uint8Array {
  return NodeBuffer === undefined ? encoder.encode(text) : NodeBuffer.from(text, 'utf8');
}

/** The number of bytes `encodeUtf8(text)` would produce, without allocating them where possible. */
export function utf8ByteLength(text: string): number {
  return NodeBuffer === undefined ? encoder.encode(text).length : NodeBuffer.byteLength(text, 'utf8');
}

/**
 * Length of an incomplete multi-byte sequence at the end of `bytes[start, end)`: 0 when the
 * range ends on a character boundary (or with bytes that can never start a valid sequence,
 * which the decoder will reject anyway), else 1 to 3 bytes that a later chunk may complete.
 */
export function incompleteTailLength(bytes: Uint8Array, start: number, end: number): number {
  // Walk back over at most 3 continuation bytes to the lead byte.
  let i = end - 1;
  let continuation = 0;
  while (i >= start && continuation < 3 && ((bytes[i] ?? 0) & 0xc0) === 0x80) {
    i--;
    continuation++;
  }
  if (i < start) return 0;
  const lead = bytes[i] ?? 0;
  let needed: number;
  if (lead >= 0xc2 && lead <= 0xdf) needed = 1;
  else if (lead >= 0xe0 && lead <= 0xef) needed = 2;
  else if (lead >= 0xf0 && lead <= 0xf4) needed = 3;
  else return 0;
  return continuation < needed ? continuation + 1 : 0;
}

/**
 * Node's simdutf-backed byte checks and its Buffer, when this runs on Node (≥ 20.16, through
 * `process.getBuiltinModule`, so bundling for a browser pulls in nothing); `undefined` elsewhere,
 * where decoders keep to `TextDecoder`. Internal to the package (not re-exported).
 */
export interface NodeText {
  /** True when every byte is below 0x80. */
  readonly isAscii: (bytes: Uint8Array) => boolean;
  /** True when the bytes are well-formed UTF-8 (the same rule as the strict `TextDecoder`). */
  readonly isUtf8: (bytes: Uint8Array) => boolean;
  /** `bytes` as a Buffer over the same memory (no copy). */
  readonly wrap: (bytes: Uint8Array) => Buffer;
}

function loadNodeText(): NodeText | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.('node:buffer') as Partial<typeof import('node:buffer')> | undefined;
  const { isAscii, isUtf8, Buffer: B } = mod ?? {};
  if (typeof isAscii !== 'function' || typeof isUtf8 !== 'function' || B === undefined) return undefined;
  return {
    isAscii,
    isUtf8,
    wrap: (bytes) => (B.isBuffer(bytes) ? bytes : B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
  };
}

export const NODE_TEXT: NodeText | undefined = loadNodeText();
