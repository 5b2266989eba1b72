/**
 * Codecs of the text exercises.
 *
 * TCP: UTF-8 lines ending in `\n` (`\r\n` accepted), a byte cap per line. Replies may have their
 * own, larger cap: upper-casing can triple a line's UTF-8 length (`ΐ` → `Ϊ́`), so a text-case
 * server reads lines of at most N bytes and writes replies of at most 3N. A client uses the
 * mirror image (sends at most N, reads at most 3N).
 *
 * UDP: one UTF-8 message per datagram (1200 bytes by default), a trailing `\n` / `\r\n` ignored
 * so `nc -u` works.
 */
import {
  DEFAULT_MAX_DATAGRAM_BYTES,
  DEFAULT_MAX_LINE_BYTES,
  type DatagramCodec,
  type StreamCodec,
  createDatagramCodec,
  createLineCodec,
  createTextCodec,
} from '@netlab/codec';

export interface TextLineCodecOptions {
  /** Longest line read, in bytes without the terminator. Default 8192 (`DEFAULT_MAX_LINE_BYTES`). */
  readonly maxLineBytes?: number;
  /** Longest line written. Default: `maxLineBytes`. */
  readonly maxReplyBytes?: number;
}

/** The codecs `createTextLineCodec` made: text lines both ways, so a server may answer in text. */
const textLineCodecs = new WeakSet<object>();

/** A line codec reading lines of at most `maxLineBytes` and writing lines of at most `maxReplyBytes`. */
export function createTextLineCodec(options: TextLineCodecOptions = {}): StreamCodec<string> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const inbound = createLineCodec({ maxLineBytes });
  const outbound = createLineCodec({ maxLineBytes: options.maxReplyBytes ?? maxLineBytes });
  const codec: StreamCodec<string> = { ...inbound, encode: (message) => outbound.encode(message) };
  textLineCodecs.add(codec);
  return codec;
}

/** True when `codec` came from {@link createTextLineCodec} (its messages are text lines). */
export function isTextLineCodec<In, Out>(codec: StreamCodec<In, Out>): codec is StreamCodec<In, Out> & StreamCodec<string, string> {
  return textLineCodecs.has(codec);
}

export interface TextDatagramCodecOptions {
  /** Largest datagram, both ways. Default 1200 (`DEFAULT_MAX_DATAGRAM_BYTES`). */
  readonly maxDatagramBytes?: number;
}

/** One UTF-8 message per datagram; a trailing newline in a received datagram is dropped. */
export function createTextDatagramCodec(options: TextDatagramCodecOptions = {}): DatagramCodec<string> {
  return createDatagramCodec(createTextCodec({ stripTrailingNewline: true }), undefined, {
    maxDatagramBytes: options.maxDatagramBytes ?? DEFAULT_MAX_DATAGRAM_BYTES,
  });
}
