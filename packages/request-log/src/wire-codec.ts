/**
 * Ready-made codecs for the request/reply envelopes (see `core/messages.ts` for the format):
 * over TCP a u32 big-endian length-prefixed frame carrying the JSON envelope; over UDP one
 * envelope per datagram. Both sides validate what they receive against the schema.
 */
import {
  type DatagramCodec,
  type StreamCodec,
  createDatagramCodec,
  createJsonCodec,
  createStreamCodec,
  lengthPrefixedFraming,
} from '@netlab/codec';
import { DEFAULT_MAX_FRAME_BYTES, type ReplyEnvelope, type RequestEnvelope, replyEnvelopeSchema, requestEnvelopeSchema } from './core/messages.js';

export interface WireCodecOptions {
  /** Largest TCP frame payload. Default {@link DEFAULT_MAX_FRAME_BYTES}. */
  readonly maxFrameBytes?: number;
  /** Largest datagram (UDP). Default 1200 (`@netlab/codec`'s default). */
  readonly maxDatagramBytes?: number;
}

const requestCodec = createJsonCodec(requestEnvelopeSchema);
const replyCodec = createJsonCodec(replyEnvelopeSchema);

/** TCP, server side: decodes requests, encodes replies. */
export function createServerStreamCodec(options: WireCodecOptions = {}): StreamCodec<RequestEnvelope, ReplyEnvelope> {
  return createStreamCodec(lengthPrefixedFraming({ maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES }), requestCodec, replyCodec);
}

/** TCP, client side: decodes replies, encodes requests. */
export function createClientStreamCodec(options: WireCodecOptions = {}): StreamCodec<ReplyEnvelope, RequestEnvelope> {
  return createStreamCodec(lengthPrefixedFraming({ maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES }), replyCodec, requestCodec);
}

/** UDP, server side. */
export function createServerDatagramCodec(options: WireCodecOptions = {}): DatagramCodec<RequestEnvelope, ReplyEnvelope> {
  return createDatagramCodec(requestCodec, replyCodec, options.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: options.maxDatagramBytes });
}

/** UDP, client side. */
export function createClientDatagramCodec(options: WireCodecOptions = {}): DatagramCodec<ReplyEnvelope, RequestEnvelope> {
  return createDatagramCodec(replyCodec, requestCodec, options.maxDatagramBytes === undefined ? {} : { maxDatagramBytes: options.maxDatagramBytes });
}
