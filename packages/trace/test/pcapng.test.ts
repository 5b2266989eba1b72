import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TCP_SEGMENT_BYTES, internetChecksum, parseIp, traceToPcapng } from '../src/index.js';
import { echoAndDatetime, proxiedLoss } from './golden.js';
import { serverTrace } from './synthetic.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}.pcapng.hex`, import.meta.url), 'utf8').replace(/\s+/g, '');

interface Block {
  readonly type: number;
  readonly body: DataView;
}

/** Splits a pcapng file into blocks, checking both length fields of each (written here from the spec, not from the writer). */
function blocks(bytes: Uint8Array): Block[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Block[] = [];
  for (let offset = 0; offset < bytes.length; ) {
    const type = view.getUint32(offset, true);
    const length = view.getUint32(offset + 4, true);
    expect(length % 4).toBe(0);
    expect(view.getUint32(offset + length - 4, true)).toBe(length);
    out.push({ type, body: new DataView(bytes.buffer, bytes.byteOffset + offset + 8, length - 12) });
    offset += length;
  }
  return out;
}

/** Every Ethernet frame in the capture, with its interface. */
function frames(bytes: Uint8Array): { iface: number; data: Uint8Array; flags: number | undefined; comments: string[] }[] {
  return blocks(bytes)
    .filter((block) => block.type === 6)
    .map(({ body }) => {
      const captured = body.getUint32(12, true);
      const data = new Uint8Array(body.buffer, body.byteOffset + 20, captured);
      let flags: number | undefined;
      const comments: string[] = [];
      for (let at = 20 + ((captured + 3) & ~3); at + 4 <= body.byteLength; ) {
        const code = body.getUint16(at, true);
        const length = body.getUint16(at + 2, true);
        if (code === 0) break;
        const value = new Uint8Array(body.buffer, body.byteOffset + at + 4, length);
        if (code === 2) flags = body.getUint32(at + 4, true);
        if (code === 1) comments.push(Buffer.from(value).toString('utf8'));
        at += 4 + ((length + 3) & ~3);
      }
      return { iface: body.getUint32(0, true), data, flags, comments };
    });
}

/** Verifies the IP header checksum and the TCP/UDP checksum of a frame by summing them to zero. */
function checksumsValid(frame: Uint8Array): boolean {
  const etherType = (frame[12] ?? 0) * 256 + (frame[13] ?? 0);
  const v4 = etherType === 0x0800;
  const ip = frame.subarray(14);
  const header = v4 ? 20 : 40;
  const protocol = v4 ? (ip[9] ?? 0) : (ip[6] ?? 0);
  const segment = ip.subarray(header);
  const src = v4 ? ip.subarray(12, 16) : ip.subarray(8, 24);
  const dst = v4 ? ip.subarray(16, 20) : ip.subarray(24, 40);
  const pseudo = v4 ? Uint8Array.of(...src, ...dst, 0, protocol, segment.length >> 8, segment.length & 0xff) : Uint8Array.of(...src, ...dst, 0, 0, segment.length >> 8, segment.length & 0xff, 0, 0, 0, protocol);
  return (!v4 || internetChecksum(ip.subarray(0, 20)) === 0) && internetChecksum(pseudo, segment) === 0;
}

describe('pcapng from a trace', () => {
  it('matches the golden bytes of an echo + udp-datetime trace (one interface)', () => {
    expect(Buffer.from(traceToPcapng(echoAndDatetime())).toString('hex')).toBe(fixture('echo-datetime'));
  });

  it('matches the golden bytes of a proxied trace with loss, delay and reset (two interfaces, comments)', () => {
    expect(Buffer.from(traceToPcapng(proxiedLoss())).toString('hex')).toBe(fixture('proxied-loss'));
  });

  it('writes a section header, one interface per proxy leg, then the packets', () => {
    expect(blocks(traceToPcapng(echoAndDatetime())).map((block) => block.type)).toEqual([0x0a0d0d0a, 1, ...new Array<number>(11).fill(6)]);
    const proxied = blocks(traceToPcapng(proxiedLoss()));
    expect(proxied.slice(0, 3).map((block) => block.type)).toEqual([0x0a0d0d0a, 1, 1]);
    expect(proxied[0]?.body.getUint32(0, true)).toBe(0x1a2b3c4d);
  });

  it('computes every IPv4, IPv6, TCP and UDP checksum', () => {
    const all = [...frames(traceToPcapng(echoAndDatetime())), ...frames(traceToPcapng(proxiedLoss()))];
    expect(all.length).toBe(21);
    for (const frame of all) expect(checksumsValid(frame.data)).toBe(true);
  });

  it('marks direction relative to the emitter and puts each fault on the packet it was about', () => {
    const packets = frames(traceToPcapng(proxiedLoss()));
    expect(packets.map((packet) => packet.iface)).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(packets.map((packet) => packet.flags)).toEqual([1, 1, 2, 1, 2, 1, 2, 1, 1, 2]);
    expect(packets[0]?.comments).toEqual(['netlab proxy client side 40001->9000: drop (loss, seed 7, datagram #1)']);
    expect(packets[1]?.comments).toEqual(['netlab proxy client side 40001->9000: delay 120 ms (delay, seed 7, datagram #2)']);
    expect(packets[8]?.comments).toEqual(['netlab proxy client side 40002->9001: reset (reset_peer, seed 7)']);
  });

  it('advances sequence numbers by the bytes sent and splits data at the segment size', () => {
    const big = Buffer.alloc(TCP_SEGMENT_BYTES + 10, 0x61);
    const packets = frames(traceToPcapng(serverTrace(7102, [['in', big], ['out', 'ok\n']])));
    const tcp = packets.map(({ data }) => {
      const view = new DataView(data.buffer, data.byteOffset + 34);
      return { seq: view.getUint32(4), ack: view.getUint32(8), flags: view.getUint8(13), payload: data.length - 34 - (view.getUint8(12) >> 4) * 4 };
    });
    const [syn, synAck, , first, second, reply] = tcp;
    expect(first?.payload).toBe(TCP_SEGMENT_BYTES);
    expect(second?.payload).toBe(10);
    expect(first?.seq).toBe(((syn?.seq ?? 0) + 1) >>> 0);
    expect(second?.seq).toBe(((first?.seq ?? 0) + TCP_SEGMENT_BYTES) >>> 0);
    expect(reply?.ack).toBe(((second?.seq ?? 0) + 10) >>> 0);
    expect(reply?.seq).toBe(((synAck?.seq ?? 0) + 1) >>> 0);
  });

  it('refuses a flow whose ends are of different address families', () => {
    const records = serverTrace(7102, [['in', 'x']]).map((record) => (record.kind === 'open' ? { ...record, to: { addr: '::1', port: 7102 } } : record));
    expect(() => traceToPcapng(records)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_RECORD' }));
  });

  it('parses IPv4, IPv6 (compressed, embedded IPv4) and IPv4-mapped addresses', () => {
    expect([...parseIp('127.0.0.1')]).toEqual([127, 0, 0, 1]);
    expect([...parseIp('::ffff:10.1.2.3')]).toEqual([10, 1, 2, 3]);
    expect(Buffer.from(parseIp('::1')).toString('hex')).toBe('00000000000000000000000000000001');
    expect(Buffer.from(parseIp('fe80::1:2%lo')).toString('hex')).toBe('fe800000000000000000000000010002');
    expect(Buffer.from(parseIp('64:ff9b::192.0.2.33')).toString('hex')).toBe('0064ff9b0000000000000000c0000221');
    expect(() => parseIp('1:2:3')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => parseIp('256.0.0.1')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
