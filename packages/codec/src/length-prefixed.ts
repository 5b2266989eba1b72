/**
 * Length-prefixed framing.
 *
 * Wire format: each frame is a length prefix followed by exactly that many payload bytes.
 * - `u32` (default): 4-byte unsigned big-endian length (network byte order), as most binary
 *   protocols and Python's `struct.pack('!I', n)` write it.
 * - `u16`: 2-byte unsigned big-endian length.
 * - `varint`: unsigned LEB128 (protobuf, multiformats), 1 to 5 bytes, minimal encoding only.
 *
 * Invariants:
 * - `maxFrameBytes` is required. The length is checked as soon as the prefix is complete, before
 *   any payload byte is buffered: a prefix above the limit is `ERR_FRAME_TOO_LARGE` at once.
 *   A payload of exactly `maxFrameBytes` passes.
 * - Zero-length frames are valid and decode to an empty `Uint8Array`.
 * - At most `maxFrameBytes + 5` bytes are ever held. A payload that lies whole inside a pushed
 *   chunk is returned as a plain `Uint8Array` view of that chunk (no copy, even when the chunk
 *   is a Buffer); only a payload split across chunks is copied. The decoder never writes to chunks.
 * - `end()` inside a prefix or payload is `ERR_TRUNCATED`.
 */
import { BaseDecoder, type Decoder } from './decoder.js';
import { CodecError, assertIntegerOption } from './errors.js';

export type LengthPrefix = 'u32' | 'u16' | 'varint';

/** Upper bound for `maxFrameBytes`: the largest u32 length. */
export const MAX_FRAME_BYTES_LIMIT = 0xffff_ffff;

export interface LengthPrefixedOptions {
  /** Largest payload accepted, in bytes. Required: there is no safe default for binary frames. */
  readonly maxFrameBytes: number;
  /** Prefix encoding. Default `'u32'`. */
  readonly prefix?: LengthPrefix;
}

const PREFIX_BYTES: Record<LengthPrefix, number> = { u32: 4, u16: 2, varint: 5 };

function resolve(options: LengthPrefixedOptions): { max: number; prefix: LengthPrefix } {
  const prefix = options.prefix ?? 'u32';
  // hasOwn, not `in`: 'toString' must not pass for a prefix name.
  if (!Object.hasOwn(PREFIX_BYTES, prefix)) {
    throw new CodecError('ERR_INVALID_OPTION', `prefix must be 'u32', 'u16' or 'varint', got ${prefix}`);
  }
  const ceiling = prefix === 'u16' ? 0xffff : MAX_FRAME_BYTES_LIMIT;
  assertIntegerOption('maxFrameBytes', options.maxFrameBytes, 0, ceiling);
  return { max: options.maxFrameBytes, prefix };
}

function tooLarge(length: number, max: number): CodecError {
  return new CodecError('ERR_FRAME_TOO_LARGE', `frame of ${length} bytes exceeds the limit of ${max}`, {
    details: { length, maxFrameBytes: max },
  });
}

class LengthPrefixedDecoder extends BaseDecoder<Uint8Array> {
  private readonly header = new Uint8Array(5);
  private headerLength = 0;
  private body: Uint8Array | undefined;
  private bodyFilled = 0;

  constructor(
    private readonly max: number,
    private readonly prefix: LengthPrefix,
  ) {
    super();
  }

  get bufferedBytes(): number {
    return this.headerLength + this.bodyFilled;
  }

  protected collect(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    const n = chunk.length;
    // Views are made with the Uint8Array constructor, not `subarray`: on a Buffer, `subarray`
    // looks up the species constructor for every frame, which cost more than the rest of the
    // decoding at 1 KiB chunks. Frames are therefore plain Uint8Array views, as documented.
    const buffer = chunk.buffer;
    const base = chunk.byteOffset;
    let pos = 0;
    try {
      if (this.body !== undefined) pos = this.fillBody(chunk, out);
      while (pos < n) {
        let length: number;
        const first = chunk[pos] ?? 0;
        if (this.headerLength === 0 && this.prefix === 'varint' && first < 0x80) {
          // Fast path: a one-byte varint (payloads under 128 bytes).
          length = first;
          pos += 1;
        } else if (this.headerLength === 0 && this.prefix === 'u32' && n - pos >= 4) {
          // Fast path: the whole prefix is in this chunk.
          length = ((first << 24) >>> 0) + ((chunk[pos + 1] ?? 0) << 16) + ((chunk[pos + 2] ?? 0) << 8) + (chunk[pos + 3] ?? 0);
          pos += 4;
        } else {
          pos++;
          this.header[this.headerLength++] = first;
          const parsed = this.parseHeader();
          if (parsed < 0) continue;
          length = parsed;
          this.headerLength = 0;
        }
        if (length > this.max) throw tooLarge(length, this.max);
        if (n - pos >= length) {
          out.push(new Uint8Array(buffer, base + pos, length));
          pos += length;
        } else {
          // Only the frame that straddles the chunk's end is copied.
          this.body = new Uint8Array(length);
          this.bodyFilled = 0;
          if (pos < n) pos = this.fillBody(chunk.subarray(pos), out) + pos;
        }
      }
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      this.state.fail(error);
    }
    return out;
  }

  /** Copies the start of `chunk` into the pending body; returns the bytes taken. */
  private fillBody(chunk: Uint8Array, out: Uint8Array[]): number {
    const body = this.body;
    if (body === undefined) return 0;
    const take = Math.min(body.length - this.bodyFilled, chunk.length);
    body.set(take === chunk.length ? chunk : chunk.subarray(0, take), this.bodyFilled);
    this.bodyFilled += take;
    if (this.bodyFilled === body.length) {
      out.push(body);
      this.body = undefined;
      this.bodyFilled = 0;
    }
    return take;
  }

  protected finish(): Uint8Array[] {
    if (this.headerLength > 0 || this.body !== undefined) {
      this.state.fail(
        new CodecError('ERR_TRUNCATED', undefined, {
          details: { bufferedBytes: this.bufferedBytes, expectedBytes: this.body?.length },
        }),
      );
    }
    return [];
  }

  /** Returns the length once the prefix in `header` is complete, else -1. */
  private parseHeader(): number {
    const h = this.header;
    const k = this.headerLength;
    if (this.prefix === 'u32') {
      return k < 4 ? -1 : (((h[0] ?? 0) << 24) >>> 0) + ((h[1] ?? 0) << 16) + ((h[2] ?? 0) << 8) + (h[3] ?? 0);
    }
    if (this.prefix === 'u16') return k < 2 ? -1 : ((h[0] ?? 0) << 8) + (h[1] ?? 0);
    const last = h[k - 1] ?? 0;
    if ((last & 0x80) !== 0) {
      if (k === 5) throw new CodecError('ERR_INVALID_VARINT', 'varint longer than 5 bytes');
      return -1;
    }
    let value = 0;
    for (let i = k - 1; i >= 0; i--) value = value * 128 + ((h[i] ?? 0) & 0x7f);
    if (value > MAX_FRAME_BYTES_LIMIT) throw new CodecError('ERR_INVALID_VARINT', 'varint exceeds 32 bits');
    if (k > 1 && last === 0) throw new CodecError('ERR_INVALID_VARINT', 'varint is not minimally encoded');
    return value;
  }
}

/** Creates a decoder of length-prefixed frames (see the module comment). */
export function createLengthPrefixedDecoder(options: LengthPrefixedOptions): Decoder<Uint8Array> {
  const { max, prefix } = resolve(options);
  return new LengthPrefixedDecoder(max, prefix);
}

/** Bytes needed to write `value` as an unsigned LEB128 varint. */
export function varintLength(value: number): number {
  let bytes = 1;
  for (let v = value; v >= 0x80; v = Math.floor(v / 128)) bytes++;
  return bytes;
}

function writeHeader(out: Uint8Array, length: number, prefix: LengthPrefix): number {
  if (prefix === 'u32') {
    new DataView(out.buffer, out.byteOffset, 4).setUint32(0, length);
    return 4;
  }
  if (prefix === 'u16') {
    out[0] = length >>> 8;
    out[1] = length & 0xff;
    return 2;
  }
  let i = 0;
  let v = length;
  while (v >= 0x80) {
    out[i++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  out[i++] = v;
  return i;
}

/** Encodes one frame: the prefix, then `payload`. Refuses payloads over `maxFrameBytes`. */
export function encodeLengthPrefixed(payload: Uint8Array, options: LengthPrefixedOptions): Uint8Array {
  const { max, prefix } = resolve(options);
  const length = payload.length;
  if (length > max) throw tooLarge(length, max);
  const headerBytes = prefix === 'varint' ? varintLength(length) : PREFIX_BYTES[prefix];
  const out = new Uint8Array(headerBytes + length);
  writeHeader(out, length, prefix);
  out.set(payload, headerBytes);
  return out;
}
