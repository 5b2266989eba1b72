/**
 * Datagram codecs: one message per datagram (UDP). No framing is needed, only a size check in
 * both directions so that nothing is silently truncated by the network or the OS.
 */
import { CodecError, assertIntegerOption } from './errors.js';
import type { MessageCodec } from './message-codec.js';

/**
 * Default datagram limit: 1200 bytes, the payload QUIC assumes every IPv4/IPv6 path carries
 * without fragmentation.
 */
export const DEFAULT_MAX_DATAGRAM_BYTES = 1200;
/** Largest UDP payload over IPv4 (65,535 − 8 UDP − 20 IP header bytes). */
export const MAX_UDP_PAYLOAD_BYTES = 65_507;

export interface DatagramCodecOptions {
  /** Largest datagram accepted or sent. Default {@link DEFAULT_MAX_DATAGRAM_BYTES}. */
  readonly maxDatagramBytes?: number;
}

export interface DatagramCodec<In, Out = In> {
  readonly maxDatagramBytes: number;
  /** Decodes one datagram; throws `ERR_DATAGRAM_TOO_LARGE` or the message codec's errors. */
  decode(datagram: Uint8Array): In;
  /** Encodes one message; throws `ERR_DATAGRAM_TOO_LARGE` when it would not fit. */
  encode(message: Out): Uint8Array;
}

function tooLarge(length: number, max: number): CodecError {
  return new CodecError('ERR_DATAGRAM_TOO_LARGE', `datagram of ${length} bytes exceeds the limit of ${max}`, {
    details: { length, maxDatagramBytes: max },
  });
}

/** Wraps message codecs (`outbound` defaults to `inbound`) for one-message-per-datagram use. */
export function createDatagramCodec<In, Out = In>(
  inbound: MessageCodec<In>,
  outbound?: MessageCodec<Out>,
  options: DatagramCodecOptions = {},
): DatagramCodec<In, Out> {
  const max = options.maxDatagramBytes ?? DEFAULT_MAX_DATAGRAM_BYTES;
  assertIntegerOption('maxDatagramBytes', max, 0, MAX_UDP_PAYLOAD_BYTES);
  const out = (outbound ?? inbound) as MessageCodec<Out>;
  return {
    maxDatagramBytes: max,
    decode(datagram) {
      if (datagram.length > max) throw tooLarge(datagram.length, max);
      return inbound.decode(datagram);
    },
    encode(message) {
      const bytes = out.encode(message);
      if (bytes.length > max) throw tooLarge(bytes.length, max);
      return bytes;
    },
  };
}
