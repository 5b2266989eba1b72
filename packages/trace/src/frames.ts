/**
 * Synthetic link-layer frames: Ethernet II + IPv4 or IPv6 + TCP or UDP, with every checksum
 * computed, built from addresses, ports and payload bytes (no socket involved).
 *
 * Ethernet: 6-byte destination MAC, 6-byte source MAC, EtherType (0x0800 IPv4, 0x86DD IPv6).
 *   MACs are synthetic and locally administered: 02:00 followed by the last four bytes of the IP
 *   address, so one address always has one MAC (on loopback both ends share it, as on `lo`).
 * IPv4 (RFC 791): 20-byte header, no options, DF set, TTL 64, header checksum.
 * IPv6 (RFC 8200): 40-byte header, hop limit 64, no extension headers.
 * TCP (RFC 9293): 20-byte header (24 with the MSS option on SYN), window 65535, checksum over
 *   the pseudo-header (RFC 9293 §3.1; IPv6: RFC 8200 §8.1).
 * UDP (RFC 768): 8-byte header, checksum over the pseudo-header; a computed 0 is sent as 0xFFFF
 *   (0 would mean "no checksum", which IPv6 forbids).
 *
 * Limits: an IPv4 packet is at most 65535 bytes, so a TCP payload is at most 65495 bytes and a UDP
 * payload at most 65507; callers split TCP data into segments of at most {@link TCP_SEGMENT_BYTES}.
 */
import { TraceError } from './errors.js';

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Largest TCP payload put in one synthetic segment (the MSS Linux announces on loopback). */
export const TCP_SEGMENT_BYTES = 65_483;
/** Largest UDP payload that fits an IPv4 packet. */
export const MAX_UDP_PAYLOAD_BYTES = 65_507;
/** The MSS announced on synthetic SYNs. */
export const SYN_MSS = 65_495;
const WINDOW = 65_535;

/** An IP address as bytes: 4 (IPv4) or 16 (IPv6). IPv4-mapped IPv6 (`::ffff:127.0.0.1`) becomes IPv4. */
export function parseIp(text: string): Uint8Array {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  const address = mapped?.[1] ?? text;
  const v4 = parseIpv4(address);
  if (v4 !== undefined) return v4;
  const v6 = parseIpv6(address);
  if (v6 !== undefined) return v6;
  throw new TraceError('ERR_INVALID_OPTION', `not an IP address: ${JSON.stringify(text)}`);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let index = 0; index < 4; index += 1) {
    const part = parts[index] ?? '';
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    bytes[index] = Number(part);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const zone = text.indexOf('%');
  const address = zone === -1 ? text : text.slice(0, zone);
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string | undefined): number[] | undefined => {
    if (half === undefined || half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (let index = 0; index < parts.length; index += 1) {
      const part = parts[index] ?? '';
      if (index === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        if (!/^[0-9a-f]{1,4}$/i.test(part)) return undefined;
        out.push(parseInt(part, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 1 ? 0 : missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/** The synthetic MAC of an address: 02:00 and its last four bytes. */
export function macFor(ip: Uint8Array): Uint8Array {
  const mac = new Uint8Array(6);
  mac[0] = 0x02;
  mac.set(ip.subarray(ip.length - 4), 2);
  return mac;
}

/** The Internet checksum (RFC 1071) of `parts`, concatenated, as a 16-bit value. */
export function internetChecksum(...parts: readonly Uint8Array[]): number {
  let sum = 0;
  let odd = false;
  let carry = 0;
  for (const part of parts) {
    for (const byte of part) {
      if (odd) {
        sum += (carry << 8) | byte;
        odd = false;
      } else {
        carry = byte;
        odd = true;
      }
    }
  }
  if (odd) sum += carry << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface SegmentSpec {
  readonly src: Uint8Array;
  readonly dst: Uint8Array;
  readonly srcPort: number;
  readonly dstPort: number;
  /** IPv4 identification field. Default 0. */
  readonly ipId?: number;
}

export interface TcpSpec extends SegmentSpec {
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  readonly payload?: Uint8Array;
}

function pseudoHeader(spec: SegmentSpec, protocol: number, length: number): Uint8Array {
  if (spec.src.length === 4) {
    const header = new Uint8Array(12);
    header.set(spec.src, 0);
    header.set(spec.dst, 4);
    header[9] = protocol;
    header[10] = length >> 8;
    header[11] = length & 0xff;
    return header;
  }
  const header = new Uint8Array(40);
  header.set(spec.src, 0);
  header.set(spec.dst, 16);
  new DataView(header.buffer).setUint32(32, length);
  header[39] = protocol;
  return header;
}

function frame(spec: SegmentSpec, protocol: number, segment: Uint8Array): Uint8Array {
  if (spec.src.length !== spec.dst.length) throw new TraceError('ERR_INVALID_OPTION', 'both ends of a flow must be IPv4 or both IPv6');
  const v4 = spec.src.length === 4;
  const ipLength = v4 ? 20 : 40;
  const out = new Uint8Array(14 + ipLength + segment.length);
  const view = new DataView(out.buffer);
  out.set(macFor(spec.dst), 0);
  out.set(macFor(spec.src), 6);
  view.setUint16(12, v4 ? 0x0800 : 0x86dd);
  if (v4) {
    out[14] = 0x45;
    view.setUint16(16, 20 + segment.length);
    view.setUint16(18, (spec.ipId ?? 0) & 0xffff);
    view.setUint16(20, 0x4000);
    out[22] = 64;
    out[23] = protocol;
    out.set(spec.src, 26);
    out.set(spec.dst, 30);
    view.setUint16(24, internetChecksum(out.subarray(14, 34)));
  } else {
    view.setUint32(14, 0x60000000);
    view.setUint16(18, segment.length);
    out[20] = protocol;
    out[21] = 64;
    out.set(spec.src, 22);
    out.set(spec.dst, 38);
  }
  out.set(segment, 14 + ipLength);
  return out;
}

/** One Ethernet frame carrying a TCP segment. */
export function tcpFrame(spec: TcpSpec): Uint8Array {
  const payload = spec.payload ?? new Uint8Array(0);
  const withMss = (spec.flags & TCP_SYN) !== 0;
  const headerLength = withMss ? 24 : 20;
  const segment = new Uint8Array(headerLength + payload.length);
  const view = new DataView(segment.buffer);
  view.setUint16(0, spec.srcPort);
  view.setUint16(2, spec.dstPort);
  view.setUint32(4, spec.seq >>> 0);
  view.setUint32(8, (spec.flags & TCP_ACK) !== 0 ? spec.ack >>> 0 : 0);
  segment[12] = (headerLength / 4) << 4;
  segment[13] = spec.flags;
  view.setUint16(14, WINDOW);
  if (withMss) {
    segment[20] = 2;
    segment[21] = 4;
    view.setUint16(22, SYN_MSS);
  }
  segment.set(payload, headerLength);
  view.setUint16(16, internetChecksum(pseudoHeader(spec, 6, segment.length), segment));
  return frame(spec, 6, segment);
}

/** One Ethernet frame carrying a UDP datagram. */
export function udpFrame(spec: SegmentSpec, payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_UDP_PAYLOAD_BYTES) throw new TraceError('ERR_INVALID_OPTION', `a UDP payload is at most ${MAX_UDP_PAYLOAD_BYTES} bytes`);
  const segment = new Uint8Array(8 + payload.length);
  const view = new DataView(segment.buffer);
  view.setUint16(0, spec.srcPort);
  view.setUint16(2, spec.dstPort);
  view.setUint16(4, segment.length);
  segment.set(payload, 8);
  const checksum = internetChecksum(pseudoHeader(spec, 17, segment.length), segment);
  view.setUint16(6, checksum === 0 ? 0xffff : checksum);
  return frame(spec, 17, segment);
}
