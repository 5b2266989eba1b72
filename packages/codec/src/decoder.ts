import { CodecError, isCodecError } from './errors.js';

/**
 * The one decoder shape of netlab (after ws's Receiver and libp2p's LengthPrefixedDecoder):
 * a state machine fed with bytes, never touching a socket.
 *
 * - `push(chunk)` returns every message completed by `chunk`, in order (often none).
 * - `end()` says no more bytes will come and returns what the end completes.
 * - The first error is terminal: it is thrown, and every later call throws an error with the
 *   same code (whose `cause` is the first).
 *   Messages decoded from the same chunk before the error are on `error.decoded`;
 *   {@link pushChunk} returns them with the error instead of throwing.
 * - Memory is bounded: `bufferedBytes` never exceeds the decoder's configured limit
 *   (plus a few header bytes).
 * - Decoders never write to a pushed chunk, but a returned `Uint8Array` may be a view of it.
 */
export interface Decoder<T> {
  push(chunk: Uint8Array): T[];
  end(): T[];
  /** Bytes held for an incomplete message. */
  readonly bufferedBytes: number;
}

/**
 * A decoder that can hand over an incomplete trailing message on demand. Line decoders are
 * flushable: transports call `flush()` when a lab client sends text without a newline and then
 * goes quiet. Binary framings are not, because a partial frame has no meaning.
 */
export interface FlushableDecoder<T> extends Decoder<T> {
  flush(): T[];
}

/** True when the decoder supports {@link FlushableDecoder.flush}. */
export function isFlushable<T>(decoder: Decoder<T>): decoder is FlushableDecoder<T> {
  return typeof (decoder as Partial<FlushableDecoder<T>>).flush === 'function';
}

export interface PushResult<T> {
  /** Complete messages, including those decoded before an error. */
  readonly messages: T[];
  /** The decoder's terminal error, if this chunk (or an earlier one) hit it. */
  readonly error: CodecError | undefined;
}

/**
 * Pushes a chunk and returns messages and error side by side, so a caller can deliver every
 * complete message that preceded bad bytes before reporting the error. Non-codec exceptions
 * (bugs) are rethrown.
 */
export function pushChunk<T>(decoder: Decoder<T>, chunk: Uint8Array): PushResult<T> {
  try {
    return { messages: decoder.push(chunk), error: undefined };
  } catch (error) {
    if (isCodecError(error)) return { messages: error.decoded as T[], error };
    throw error;
  }
}

/** Shared bookkeeping for terminal errors and `end()`. */
export class DecoderState {
  private failure: CodecError | undefined;
  private ended = false;

  /** Throws the stored error, or ERR_DECODER_ENDED after `end()`. */
  check(): void {
    const failure = this.failure;
    if (failure !== undefined) {
      // Same code and message, but no `decoded`: those messages were handed over once already.
      throw new CodecError(failure.code, failure.message, { cause: failure, details: failure.details });
    }
    if (this.ended) throw new CodecError('ERR_DECODER_ENDED');
  }

  /** Records the error as terminal and throws it, with the messages decoded before it. */
  fail(error: CodecError, decoded: readonly unknown[]): never {
    error.decoded = decoded;
    this.failure = error;
    throw error;
  }

  end(): void {
    this.check();
    this.ended = true;
  }
}
