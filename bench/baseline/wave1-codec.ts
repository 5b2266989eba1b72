/**
 * The wave-1 decoders of @netlab/codec (main at 83e95a0, before the issue-16 codec work), copied
 * verbatim so `bench/codec.bench.ts` can measure before and after in the same run. Benchmark use
 * only: no option checks (the bench passes fixed, valid options), text lines and length prefixes only.
 */
import { CodecError, type Decoder } from '@netlab/codec';
import { type InvalidUtf8Policy, decodeUtf8, incompleteTailLength, utf8ByteLength } from '@netlab/codec';

type OverflowPolicy = 'error' | 'discard';
type LengthPrefix = 'u32' | 'u16' | 'varint';
const MAX_FRAME_BYTES_LIMIT = 0xffff_ffff;

function tooLarge(length: number, max: number): CodecError {
  return new CodecError('ERR_FRAME_TOO_LARGE', `frame of ${length} bytes exceeds the limit of ${max}`, {
    details: { length, maxFrameBytes: max },
  });
}

const EMPTY = new Uint8Array(0);

class ByteBuffer {
  // Allocated on first use: most connections never hold a partial message, and an idle
  // connection should cost as little as possible.
  private bytes: Uint8Array = EMPTY;
  private size = 0;
  /** Bytes written into the storage so far: appended, copied on growth, moved by `keepFrom`. */
  movedBytes = 0;

  constructor(private readonly limit: number) {}

  get length(): number {
    return this.size;
  }

  /** Appends `source[start, end)`. The caller guarantees the result stays within `limit`. */
  append(source: Uint8Array, start: number, end: number): void {
    const needed = this.size + (end - start);
    if (needed > this.bytes.length) {
      let capacity = Math.max(this.bytes.length * 2, 256);
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(Math.min(capacity, Math.max(this.limit, needed)));
      grown.set(this.bytes.subarray(0, this.size));
      this.movedBytes += this.size;
      this.bytes = grown;
    }
    this.bytes.set(source.subarray(start, end), this.size);
    this.movedBytes += end - start;
    this.size = needed;
  }

  at(index: number): number {
    return this.bytes[index] ?? 0;
  }

  view(start = 0, end: number = this.size): Uint8Array {
    return this.bytes.subarray(start, end);
  }

  /** Keeps only `[start, length)`, moved to the front. */
  keepFrom(start: number): void {
    this.bytes.copyWithin(0, start, this.size);
    this.movedBytes += this.size - start;
    this.size -= start;
  }

  reset(): void {
    this.size = 0;
    // Give back memory held for one unusually long message.
    if (this.bytes.length > 64 * 1024) this.bytes = EMPTY;
  }
}

/** Shared bookkeeping for terminal errors and `end()`. */
class DecoderState {
  private failure: CodecError | undefined;
  private ended = false;

  /** Throws the stored error (a copy: same code and message, the first as `cause`), or ERR_DECODER_ENDED after `end()`. */
  check(): void {
    const failure = this.failure;
    if (failure !== undefined) throw new CodecError(failure.code, failure.message, { cause: failure, details: failure.details });
    if (this.ended) throw new CodecError('ERR_DECODER_ENDED');
  }

  /** Records `error` as terminal (the first one recorded wins). */
  fail(error: CodecError): void {
    this.failure ??= error;
  }

  /** The terminal error, once one was recorded. */
  get failed(): CodecError | undefined {
    return this.failure;
  }

  end(): void {
    this.ended = true;
  }
}

/**
 * The `push` / `pushEach` / `end` of every decoder, built on one `collect(chunk)` that returns the
 * messages a chunk completes and records its error in `state` instead of throwing: so the two
 * ways of pushing cannot disagree, and no decoder writes them twice.
 */
abstract class BaseDecoder<T> implements Decoder<T> {
  protected readonly state = new DecoderState();

  abstract get bufferedBytes(): number;

  /** The messages `chunk` completes, in order; a `CodecError` is recorded with `state.fail`, not thrown. */
  protected abstract collect(chunk: Uint8Array): T[];

  /** What the end completes (at most one message); errors recorded as in `collect`. */
  protected abstract finish(): T[];

  push(chunk: Uint8Array): T[] {
    this.state.check();
    const out = this.collect(chunk);
    this.throwIfFailed();
    return out;
  }

  pushEach(chunk: Uint8Array, onMessage: (message: T) => void): void {
    this.state.check();
    const out = this.collect(chunk);
    for (const message of out) onMessage(message);
    this.throwIfFailed();
  }

  end(): T[] {
    this.state.check();
    const out = this.finish();
    this.throwIfFailed();
    this.state.end();
    return out;
  }

  private throwIfFailed(): void {
    const failure = this.state.failed;
    if (failure !== undefined) throw failure;
  }
}

const LF = 0x0a;
const CR = 0x0d;

type Convert<T> = (bytes: Uint8Array, shared: boolean) => T;
/** Placeholder for `out` between pushes (never written: every collect starts a fresh array). */
const NO_OUTPUT: readonly unknown[] = Object.freeze([]);
/**
 * Decodes a run of complete lines at once (one UTF-8 pass, one split) and returns them, or
 * `undefined` when the run is not valid UTF-8 so the caller falls back to line-by-line work
 * that pins the error to its line.
 */
type DecodeRun = (bytes: Uint8Array) => string[] | undefined;

class LineSplitter<T> extends BaseDecoder<T> {
  private readonly carry: ByteBuffer;
  private discarding = false;
  private dropEmptyLine = false;
  /** Output of the `collect()` in progress (a field so the fast path can adopt a decoded array). */
  private out: T[] = NO_OUTPUT as T[];
  discardedLines = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly overflow: OverflowPolicy,
    private readonly convert: Convert<T>,
    private readonly decodeRun?: DecodeRun,
  ) {
    super();
    // One extra byte: a line of exactly maxLineBytes may still be waiting for the LF after its CR.
    this.carry = new ByteBuffer(maxLineBytes + 1);
  }

  get bufferedBytes(): number {
    return this.carry.length;
  }

  protected collect(chunk: Uint8Array): T[] {
    this.out = [];
    try {
      this.consume(chunk);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      this.state.fail(error);
    }
    const out = this.out;
    this.out = NO_OUTPUT as T[];
    return out;
  }

  flush(): T[] {
    this.state.check();
    const length = this.carry.length;
    if (this.discarding || length === 0) return [];
    const tail = incompleteTailLength(this.carry.view(), 0, length);
    let end = length - tail;
    if (end > 0 && this.carry.at(end - 1) === CR) end--;
    const out: T[] = [];
    if (end > 0 || tail === 0) {
      try {
        out.push(this.convert(this.carry.view(0, end), true));
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        this.state.fail(error);
        throw error;
      }
      this.dropEmptyLine = true;
    }
    this.carry.keepFrom(length - tail);
    return out;
  }

  protected finish(): T[] {
    const out: T[] = [];
    if (this.discarding) {
      this.discarding = false;
      this.discardedLines++;
    } else if (this.carry.length > 0) {
      let end = this.carry.length;
      if (this.carry.at(end - 1) === CR) end--;
      try {
        this.emit(this.carry.view(0, end), true, out);
      } catch (error) {
        if (!(error instanceof CodecError)) throw error;
        this.state.fail(error);
      }
      this.carry.reset();
    }
    return out;
  }

  private consume(chunk: Uint8Array): void {
    const n = chunk.length;
    let pos = 0;
    while (pos < n) {
      const lf = chunk.indexOf(LF, pos);
      if (this.discarding) {
        if (lf < 0) return;
        this.discarding = false;
        this.discardedLines++;
        pos = lf + 1;
        continue;
      }
      if (lf < 0) {
        this.hold(chunk, pos, n);
        return;
      }
      const carried = this.carry.length;
      if (carried === 0 && this.decodeRun !== undefined) {
        const last = chunk.lastIndexOf(LF);
        if (last > lf && this.fastRun(chunk, pos, last)) {
          pos = last + 1;
          continue;
        }
      }
      if (carried === 0) {
        const end = lf > pos && chunk[lf - 1] === CR ? lf - 1 : lf;
        if (end - pos > this.maxLineBytes) this.tooLong();
        else this.emit(chunk.subarray(pos, end), false, this.out);
      } else {
        const total = carried + (lf - pos);
        const crAtEnd = lf > pos ? chunk[lf - 1] === CR : this.carry.at(carried - 1) === CR;
        const content = crAtEnd ? total - 1 : total;
        if (content > this.maxLineBytes) {
          this.carry.reset();
          this.tooLong();
        } else {
          this.carry.append(chunk, pos, lf);
          this.emit(this.carry.view(0, content), true, this.out);
          this.carry.reset();
        }
      }
      pos = lf + 1;
    }
  }

  /**
   * Emits every line in `chunk[start, lastLf)` from one decoded string. Returns false (having
   * emitted nothing) when the run is not valid UTF-8.
   */
  private fastRun(chunk: Uint8Array, start: number, lastLf: number): boolean {
    const lines = this.decodeRun?.(chunk.subarray(start, lastLf)) as T[] | undefined;
    if (lines === undefined) return false;
    const max = this.maxLineBytes;
    // A UTF-16 code unit takes at most 3 UTF-8 bytes, so short lines need no byte count.
    const safeChars = Math.floor(max / 3);
    // Compact the decoded array in place and adopt it as the output when nothing precedes it.
    const adopt = this.out.length === 0;
    const target = adopt ? lines : this.out;
    if (adopt) this.out = lines;
    let w = adopt ? 0 : target.length;
    try {
      for (let line of lines as string[]) {
        if (line.charCodeAt(line.length - 1) === CR) line = line.slice(0, -1);
        if (line.length > safeChars && utf8ByteLength(line) > max) {
          this.tooLong();
          continue;
        }
        if (this.dropEmptyLine) {
          this.dropEmptyLine = false;
          if (line.length === 0) continue;
        }
        target[w++] = line as T;
      }
    } finally {
      target.length = w;
    }
    return true;
  }

  /** Buffers a partial line, enforcing the cap before buffering. */
  private hold(chunk: Uint8Array, start: number, end: number): void {
    const total = this.carry.length + (end - start);
    const max = this.maxLineBytes;
    if (total > max + 1 || (total === max + 1 && chunk[end - 1] !== CR)) {
      this.carry.reset();
      if (this.overflow === 'error') this.tooLong();
      // Counted once its LF (or the end of the stream) is reached.
      this.discarding = true;
      return;
    }
    this.carry.append(chunk, start, end);
  }

  private tooLong(): void {
    if (this.overflow === 'discard') {
      this.discardedLines++;
      return;
    }
    throw new CodecError('ERR_LINE_TOO_LONG', `line exceeds ${this.maxLineBytes} bytes`, {
      details: { maxLineBytes: this.maxLineBytes },
    });
  }

  private emit(bytes: Uint8Array, shared: boolean, out: T[]): void {
    if (this.dropEmptyLine) {
      this.dropEmptyLine = false;
      if (bytes.length === 0) return;
    }
    out.push(this.convert(bytes, shared));
  }
}

function textDecoding(policy: InvalidUtf8Policy): { convert: Convert<string>; decodeRun: DecodeRun } {
  const runDecoder = new TextDecoder('utf-8', { fatal: policy === 'error', ignoreBOM: true });
  return {
    convert: (bytes) => decodeUtf8(bytes, policy),
    decodeRun: (bytes) => {
      try {
        return runDecoder.decode(bytes).split('\n');
      } catch {
        return undefined;
      }
    },
  };
}

/** Shared by every decoder of a policy (decoding is stateless per call), so a decoder is small. */
const TEXT_DECODING: Record<InvalidUtf8Policy, { convert: Convert<string>; decodeRun: DecodeRun }> = {
  error: textDecoding('error'),
  replace: textDecoding('replace'),
};

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
    let pos = 0;
    try {
      while (pos < n) {
        const body = this.body;
        if (body !== undefined) {
          const take = Math.min(body.length - this.bodyFilled, n - pos);
          body.set(chunk.subarray(pos, pos + take), this.bodyFilled);
          this.bodyFilled += take;
          pos += take;
          if (this.bodyFilled === body.length) {
            out.push(body);
            this.body = undefined;
            this.bodyFilled = 0;
          }
          continue;
        }
        let length: number;
        if (this.prefix === 'u32' && this.headerLength === 0 && n - pos >= 4) {
          // Fast path: the whole prefix is in this chunk.
          length = (((chunk[pos] ?? 0) << 24) >>> 0) + ((chunk[pos + 1] ?? 0) << 16) + ((chunk[pos + 2] ?? 0) << 8) + (chunk[pos + 3] ?? 0);
          pos += 4;
        } else if (this.prefix === 'varint' && this.headerLength === 0 && (chunk[pos] ?? 0) < 0x80) {
          // Fast path: a one-byte varint (payloads under 128 bytes).
          length = chunk[pos] ?? 0;
          pos += 1;
        } else {
          const byte = chunk[pos] ?? 0;
          pos++;
          this.header[this.headerLength++] = byte;
          const parsed = this.parseHeader();
          if (parsed < 0) continue;
          length = parsed;
          this.headerLength = 0;
        }
        if (length > this.max) throw tooLarge(length, this.max);
        if (n - pos >= length) {
          out.push(chunk.subarray(pos, pos + length));
          pos += length;
        } else {
          this.body = new Uint8Array(length);
        }
      }
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      this.state.fail(error);
    }
    return out;
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


/** The wave-1 `createLineDecoder()` with default options. */
export function createWave1LineDecoder(maxLineBytes = 8192): Decoder<string> {
  const shared = TEXT_DECODING.error;
  return new LineSplitter<string>(maxLineBytes, 'error', shared.convert, shared.decodeRun);
}

/** The wave-1 `createLengthPrefixedDecoder()`. */
export function createWave1LengthPrefixedDecoder(options: { readonly maxFrameBytes: number; readonly prefix: LengthPrefix }): Decoder<Uint8Array> {
  return new LengthPrefixedDecoder(options.maxFrameBytes, options.prefix);
}
