/**
 * Stream codecs compose a framing (how a byte stream splits into payloads) with message codecs
 * (what one payload means). Transports take a `StreamCodec` and stay ignorant of both.
 */
import { BaseDecoder, type Decoder, type FlushableDecoder, isFlushable } from './decoder.js';
import { CodecError } from './errors.js';
import { type LengthPrefixedOptions, createLengthPrefixedDecoder, encodeLengthPrefixed } from './length-prefixed.js';
import { type LineDecoderOptions, type LineFramingOptions, createLineDecoder, createLineFrameDecoder, encodeLine, encodeLineFrame } from './line-decoder.js';
import type { MessageCodec } from './message-codec.js';

/** How a byte stream is cut into payloads. */
export interface Framing {
  /** A short name for logs: `'line'`, `'length-prefixed'`. */
  readonly kind: string;
  /** A fresh decoder; a {@link FlushableDecoder} when partial payloads can be flushed (line framing). */
  createDecoder(): Decoder<Uint8Array>;
  /** Wraps one payload for the wire. */
  encode(payload: Uint8Array): Uint8Array;
}

/** A framed, typed, bidirectional codec: `In` is what we receive, `Out` what we send. */
export interface StreamCodec<In, Out = In> {
  readonly framing: string;
  /** A fresh decoder per connection; a {@link FlushableDecoder} when quiet flush is possible (see `isFlushable`). */
  createDecoder(): Decoder<In>;
  encode(message: Out): Uint8Array;
}

/** Line framing of raw payloads (terminator removed). See `createLineDecoder`. */
export function lineFraming(options: LineFramingOptions = {}): Framing {
  createLineFrameDecoder(options); // validates options now, not at first connection
  return {
    kind: 'line',
    createDecoder: () => createLineFrameDecoder(options),
    encode: (payload) => encodeLineFrame(payload, options),
  };
}

/** Length-prefixed framing. See `createLengthPrefixedDecoder`. */
export function lengthPrefixedFraming(options: LengthPrefixedOptions): Framing {
  createLengthPrefixedDecoder(options);
  return {
    kind: 'length-prefixed',
    createDecoder: () => createLengthPrefixedDecoder(options),
    encode: (payload) => encodeLengthPrefixed(payload, options),
  };
}

/**
 * Framing, then a message codec per payload. A payload the message codec rejects is terminal like
 * a framing error; the messages before it are delivered first.
 */
class MappedDecoder<In> extends BaseDecoder<In> {
  constructor(
    private readonly frames: Decoder<Uint8Array>,
    private readonly codec: MessageCodec<In>,
  ) {
    super();
  }

  get bufferedBytes(): number {
    return this.frames.bufferedBytes;
  }

  protected collect(chunk: Uint8Array): In[] {
    const out: In[] = [];
    try {
      this.frames.pushEach(chunk, (payload) => {
        out.push(this.codec.decode(payload));
      });
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      this.state.fail(error);
    }
    return out;
  }

  protected finish(): In[] {
    return this.mapAll(() => this.frames.end());
  }

  /** Maps the payloads `take` returns (at most one: an end or a flush completes one message). */
  protected mapAll(take: () => Uint8Array[]): In[] {
    const out: In[] = [];
    try {
      for (const payload of take()) out.push(this.codec.decode(payload));
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      this.state.fail(error);
    }
    return out;
  }
}

/** A {@link MappedDecoder} over a flushable framing (lines): flushable itself. */
class FlushableMappedDecoder<In> extends MappedDecoder<In> implements FlushableDecoder<In> {
  constructor(
    private readonly flushableFrames: FlushableDecoder<Uint8Array>,
    codec: MessageCodec<In>,
  ) {
    super(flushableFrames, codec);
  }

  flush(): In[] {
    this.state.check();
    const out = this.mapAll(() => this.flushableFrames.flush());
    const failure = this.state.failed;
    if (failure !== undefined) throw failure;
    return out;
  }
}

/** Composes a framing with message codecs (`outbound` defaults to `inbound`). */
export function createStreamCodec<In, Out = In>(
  framing: Framing,
  inbound: MessageCodec<In>,
  outbound?: MessageCodec<Out>,
): StreamCodec<In, Out> {
  const out = (outbound ?? inbound) as MessageCodec<Out>;
  return {
    framing: framing.kind,
    createDecoder: () => {
      const frames = framing.createDecoder();
      return isFlushable(frames) ? new FlushableMappedDecoder(frames, inbound) : new MappedDecoder(frames, inbound);
    },
    encode: (message) => framing.encode(out.encode(message)),
  };
}

/**
 * UTF-8 lines as strings: the codec of every text exercise. Equivalent to
 * `createStreamCodec(lineFraming(o), createTextCodec(o))`, but decodes each line once, in place.
 */
export function createLineCodec(options: LineDecoderOptions = {}): StreamCodec<string> {
  createLineDecoder(options);
  return {
    framing: 'line',
    createDecoder: () => createLineDecoder(options),
    encode: (message) => encodeLine(message, options),
  };
}
