/**
 * What a WebSocket carries: one protocol message per WebSocket message. The WebSocket framing
 * already delimits messages, so no stream framing runs on top: a line protocol's line is one
 * text frame (no terminator needed; one trailing `\n` or `\r\n` is accepted and dropped, so a
 * line pasted from a terminal reads the same), a framed protocol's payload (the JSON of an ATM
 * envelope, without its length prefix) is one binary frame.
 *
 * Limits: `maxMessageBytes` is the message limit in UTF-8 bytes of the payload (a line without
 * its terminator), exactly as the TCP framing counts it: a message exactly at the limit passes,
 * one byte over is a typed `CodecError` (`ERR_LINE_TOO_LONG` for text, `ERR_FRAME_TOO_LARGE`
 * for binary) that the service answers through `malformed`, as over TCP. A text message holding
 * a line terminator inside is `ERR_INVALID_LINE` (one message is one line).
 */
import { CodecError, type DatagramCodec, type MessageCodec, decodeUtf8, encodeUtf8 } from '@netlab/codec';
import { assertIntegerOption } from './errors.js';

/** Default message limit of a text (line) WebSocket codec: 8 KiB, the line codec's default. */
export const DEFAULT_WS_MAX_MESSAGE_BYTES = 8192;
/** Largest `maxMessageBytes` accepted: 16 MiB. */
export const MAX_WS_MESSAGE_BYTES_LIMIT = 16 * 1024 * 1024;

/** One message per WebSocket message, in both directions. */
export interface WsCodec<In, Out = In> {
  /** Which frames the messages are sent in: `text` for line protocols, `binary` for framed ones. */
  readonly frames: 'text' | 'binary';
  /** Largest message payload decoded or encoded, in bytes. */
  readonly maxMessageBytes: number;
  /** Decodes one received message; throws a `CodecError`. */
  decode(payload: Uint8Array): In;
  /** Encodes one message; throws a `CodecError` when it does not fit. */
  encode(message: Out): Uint8Array;
}

export interface WsTextCodecOptions {
  /** Longest line, in UTF-8 bytes without a terminator. Default {@link DEFAULT_WS_MAX_MESSAGE_BYTES}. */
  readonly maxMessageBytes?: number;
}

export interface WsMessageCodecOptions {
  /** Text or binary frames. Default `binary`. */
  readonly frames?: 'text' | 'binary';
  /** Largest payload in bytes. Required: a framed protocol always states its limit. */
  readonly maxMessageBytes: number;
}

function stripTerminator(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) {
    end -= 1;
    if (end > 0 && bytes[end - 1] === 0x0d) end -= 1;
  }
  return end === bytes.length ? bytes : bytes.subarray(0, end);
}

/** A line protocol over WebSocket: each text frame is one line (strings in, strings out). */
export function createWsTextCodec(options: WsTextCodecOptions = {}): WsCodec<string, string> {
  const max = options.maxMessageBytes ?? DEFAULT_WS_MAX_MESSAGE_BYTES;
  assertIntegerOption('maxMessageBytes', max, 1, MAX_WS_MESSAGE_BYTES_LIMIT);
  return {
    frames: 'text',
    maxMessageBytes: max,
    decode(payload) {
      const line = stripTerminator(payload);
      if (line.length > max) {
        throw new CodecError('ERR_LINE_TOO_LONG', `line of ${line.length} bytes exceeds the limit of ${max}`, { details: { length: line.length, maxLineBytes: max } });
      }
      if (line.includes(0x0a) || line.includes(0x0d)) throw new CodecError('ERR_INVALID_LINE', 'a WebSocket message carries one line: it contains a line terminator');
      return decodeUtf8(line);
    },
    encode(message) {
      const bytes = encodeUtf8(message);
      if (bytes.length > max) throw new CodecError('ERR_LINE_TOO_LONG', `line of ${bytes.length} bytes exceeds the limit of ${max}`, { details: { length: bytes.length, maxLineBytes: max } });
      return bytes;
    },
  };
}

/** Any message codec (JSON with a schema, a datagram codec) over WebSocket, one payload per frame. */
export function createWsMessageCodec<In, Out = In>(inbound: MessageCodec<In>, outbound: MessageCodec<Out> | undefined, options: WsMessageCodecOptions): WsCodec<In, Out> {
  const max = options.maxMessageBytes;
  assertIntegerOption('maxMessageBytes', max, 1, MAX_WS_MESSAGE_BYTES_LIMIT);
  const out = (outbound ?? inbound) as MessageCodec<Out>;
  const tooLarge = (length: number): CodecError =>
    new CodecError('ERR_FRAME_TOO_LARGE', `message of ${length} bytes exceeds the limit of ${max}`, { details: { length, maxFrameBytes: max } });
  return {
    frames: options.frames ?? 'binary',
    maxMessageBytes: max,
    decode(payload) {
      if (payload.length > max) throw tooLarge(payload.length);
      return inbound.decode(payload);
    },
    encode(message) {
      const bytes = out.encode(message);
      if (bytes.length > max) throw tooLarge(bytes.length);
      return bytes;
    },
  };
}

/**
 * A datagram codec of `@netlab/codec` (one message per datagram, possibly different types each
 * way: the ATM's requests in, replies out) over WebSocket, one message per frame. The limit is
 * the datagram codec's `maxDatagramBytes`, reported as `ERR_FRAME_TOO_LARGE` like any framed
 * protocol's.
 */
export function createWsDatagramCodec<In, Out>(codec: DatagramCodec<In, Out>, options: { readonly frames?: 'text' | 'binary' } = {}): WsCodec<In, Out> {
  const max = codec.maxDatagramBytes;
  const tooLarge = (length: number): CodecError =>
    new CodecError('ERR_FRAME_TOO_LARGE', `message of ${length} bytes exceeds the limit of ${max}`, { details: { length, maxFrameBytes: max } });
  return {
    frames: options.frames ?? 'binary',
    maxMessageBytes: max,
    decode(payload) {
      if (payload.length > max) throw tooLarge(payload.length);
      return codec.decode(payload);
    },
    encode: (message) => codec.encode(message),
  };
}
