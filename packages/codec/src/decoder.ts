import { CodecError, isCodecError } from './errors.js';

/**
 * The one decoder shape of netlab (after ws's Receiver, libp2p's LengthPrefixedDecoder and the
 * parser of Effect's PgProtocol): a state machine fed with bytes, never touching a socket.
 *
 * - `pushEach(chunk, onMessage)` hands every message completed by `chunk` to `onMessage`, in
 *   order, then throws the decoder's error if the chunk hit one. Messages decoded before bad
 *   bytes are thus delivered, never lost, and the error carries nothing: no caller casts.
 * - `push(chunk)` returns the messages completed by `chunk` (often none), for tests and simple
 *   callers; when the chunk hits an error it throws, and the messages of that chunk decoded
 *   before the error are not returned (use `pushEach` or {@link pushChunk} when they matter).
 * - `end()` says no more bytes will come and returns what the end completes. Decoders never hold
 *   back a complete message, so the end completes at most one (an unterminated last line) and
 *   an error from `end()` loses nothing.
 * - The first error is terminal: it is thrown, and every later call throws an error with the
 *   same code (whose `cause` is the first).
 * - Memory is bounded: `bufferedBytes` never exceeds the decoder's configured limit
 *   (plus a few header bytes).
 * - Decoders never write to a pushed chunk, but a returned `Uint8Array` may be a view of it.
 */
export interface Decoder<T> {
  push(chunk: Uint8Array): T[];
  pushEach(chunk: Uint8Array, onMessage: (message: T) => void): void;
  end(): T[];
  /** Bytes held for an incomplete message. */
  readonly bufferedBytes: number;
}

/**
 * A decoder that can hand over an incomplete trailing message on demand. Line decoders are
 * flushable: transports call `flush()` when a lab client sends text without a newline and then
 * goes quiet. Binary framings are not, because a partial frame has no meaning. Having `flush` is
 * the one way to know: {@link isFlushable}. Like `end()`, `flush()` completes at most one message.
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
  const messages: T[] = [];
  try {
    decoder.pushEach(chunk, (message) => {
      messages.push(message);
    });
    return { messages, error: undefined };
  } catch (error) {
    if (isCodecError(error)) return { messages, error };
    throw error;
  }
}

/** Shared bookkeeping for terminal errors and `end()`. */
export class DecoderState {
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
export abstract class BaseDecoder<T> implements Decoder<T> {
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
