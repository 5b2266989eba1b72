/**
 * Stream codecs compose a framing (how a byte stream splits into payloads) with message codecs
 * (what one payload means). Transports take a `StreamCodec` and stay ignorant of both.
 */
import { type Decoder, DecoderState, type FlushableDecoder, isFlushable } from './decoder.js';
import { CodecError } from './errors.js';
import { type LengthPrefixedOptions, createLengthPrefixedDecoder, encodeLengthPrefixed } from './length-prefixed.js';
import { type LineDecoderOptions, type LineFramingOptions, createLineDecoder, createLineFrameDecoder, encodeLine, encodeLineFrame } from './line-decoder.js';
import type { MessageCodec } from './message-codec.js';

/** How a byte stream is cut into payloads. */
export interface Framing {
  /** A short name for logs: `'line'`, `'length-prefixed'`. */
  readonly kind: string;
  /** True when decoders can flush a partial payload (line framing). */
  readonly flushable: boolean;
  createDecoder(): Decoder<Uint8Array>;
  /** Wraps one payload for the wire. */
  encode(payload: Uint8Array): Uint8Array;
}

/** A framed, typed, bidirectional codec: `In` is what we receive, `Out` what we send. */
export interface StreamCodec<In, Out = In> {
  readonly framing: string;
  /** True when `createDecoder()` returns a {@link FlushableDecoder} (quiet flush is possible). */
  readonly flushable: boolean;
  createDecoder(): Decoder<In>;
  encode(message: Out): Uint8Array;
}

/** Line framing of raw payloads (terminator removed). See `createLineDecoder`. */
export function lineFraming(options: LineFramingOptions = {}): Framing {
  createLineFrameDecoder(options); // validates options now, not at first connection
  return {
    kind: 'line',
    flushable: true,
    createDecoder: () => createLineFrameDecoder(options),
    encode: (payload) => encodeLineFrame(payload, options),
  };
}

/** Length-prefixed framing. See `createLengthPrefixedDecoder`. */
export function lengthPrefixedFraming(options: LengthPrefixedOptions): Framing {
  createLengthPrefixedDecoder(options);
  return {
    kind: 'length-prefixed',
    flushable: false,
    createDecoder: () => createLengthPrefixedDecoder(options),
    encode: (payload) => encodeLengthPrefixed(payload, options),
  };
}

class MappedDecoder<In> implements FlushableDecoder<In> {
  private readonly state = new DecoderState();

  constructor(
    private readonly frames: Decoder<Uint8Array>,
    private readonly codec: MessageCodec<In>,
  ) {}

  get bufferedBytes(): number {
    return this.frames.bufferedBytes;
  }

  push(chunk: Uint8Array): In[] {
    this.state.check();
    let payloads: Uint8Array[];
    try {
      payloads = this.frames.push(chunk);
    } catch (error) {
      if (error instanceof CodecError) this.fail(error, error.decoded as Uint8Array[]);
      throw error;
    }
    return this.map(payloads);
  }

  flush(): In[] {
    this.state.check();
    return isFlushable(this.frames) ? this.map(this.frames.flush()) : [];
  }

  end(): In[] {
    this.state.check();
    let payloads: Uint8Array[];
    try {
      payloads = this.frames.end();
    } catch (error) {
      if (error instanceof CodecError) this.fail(error, error.decoded as Uint8Array[]);
      throw error;
    }
    const out = this.map(payloads);
    this.state.end();
    return out;
  }

  /** Fails with `error`, handing over the messages of the payloads decoded before it. */
  private fail(error: CodecError, payloads: readonly Uint8Array[]): never {
    const out: In[] = [];
    for (const payload of payloads) {
      try {
        out.push(this.codec.decode(payload));
      } catch (inner) {
        if (inner instanceof CodecError) this.state.fail(inner, out);
        throw inner;
      }
    }
    return this.state.fail(error, out);
  }

  private map(payloads: readonly Uint8Array[]): In[] {
    const out: In[] = [];
    for (const payload of payloads) {
      try {
        out.push(this.codec.decode(payload));
      } catch (error) {
        if (error instanceof CodecError) this.state.fail(error, out);
        throw error;
      }
    }
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
    flushable: framing.flushable,
    createDecoder: () => new MappedDecoder(framing.createDecoder(), inbound),
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
    flushable: true,
    createDecoder: () => createLineDecoder(options),
    encode: (message) => encodeLine(message, options),
  };
}
