export { CODEC_ERROR_CODES, CodecError, isCodecError } from './errors.js';
export type { CodecErrorCode, CodecErrorOptions } from './errors.js';
export { isFlushable, pushChunk } from './decoder.js';
export type { Decoder, FlushableDecoder, PushResult } from './decoder.js';
export { decodeUtf8, encodeUtf8, incompleteTailLength, utf8ByteLength } from './utf8.js';
export type { InvalidUtf8Policy } from './utf8.js';
export {
  DEFAULT_MAX_LINE_BYTES,
  MAX_LINE_BYTES_LIMIT,
  createLineDecoder,
  createLineFrameDecoder,
  encodeLine,
  encodeLineFrame,
} from './line-decoder.js';
export type { LineDecoder, LineDecoderOptions, LineFramingOptions, OverflowPolicy } from './line-decoder.js';
export { MAX_FRAME_BYTES_LIMIT, createLengthPrefixedDecoder, encodeLengthPrefixed, varintLength } from './length-prefixed.js';
export type { LengthPrefix, LengthPrefixedOptions } from './length-prefixed.js';
export { createJsonCodec, createTextCodec, validateSchema } from './message-codec.js';
export type { JsonCodecOptions, MessageCodec, SchemaIssue, TextCodecOptions } from './message-codec.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export { createLineCodec, createStreamCodec, lengthPrefixedFraming, lineFraming } from './stream-codec.js';
export type { Framing, StreamCodec } from './stream-codec.js';
export { DEFAULT_MAX_DATAGRAM_BYTES, MAX_UDP_PAYLOAD_BYTES, createDatagramCodec } from './datagram-codec.js';
export type { DatagramCodec, DatagramCodecOptions } from './datagram-codec.js';
