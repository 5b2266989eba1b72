/**
 * pcapng blocks (draft-ietf-opsawg-pcapng), little-endian, the three a capture needs:
 *
 *   every block   type u32 | total length u32 | body (padded to 4 bytes) | total length u32
 *   SHB 0x0A0D0D0A  byte-order magic 0x1A2B3C4D | major 1 | minor 0 | section length -1 (i64) | options
 *   IDB 0x00000001  link type u16 | reserved u16 | snap length u32 | options
 *   EPB 0x00000006  interface id u32 | timestamp high u32 | low u32 | captured length u32 |
 *                   original length u32 | packet data (padded) | options
 *   option          code u16 | length u16 | value (padded to 4) ; the list ends with code 0, length 0
 *
 * Options used: opt_comment (1, UTF-8) on any block; shb_userappl (4); if_name (2),
 * if_description (3), if_tsresol (9, one byte: 6 = microseconds); epb_flags (2, u32: bits 0–1 are
 * the direction, 01 inbound, 10 outbound).
 */

export const LINKTYPE_ETHERNET = 1;
export const EPB_INBOUND = 1;
export const EPB_OUTBOUND = 2;
/** Snap length announced by the interfaces (no packet netlab writes is longer). */
export const SNAP_LENGTH = 262_144;

const encoder = new TextEncoder();
const pad4 = (n: number): number => (n + 3) & ~3;

interface Option {
  readonly code: number;
  readonly value: Uint8Array;
}

const text = (code: number, value: string): Option => ({ code, value: encoder.encode(value) });

function u32Option(code: number, value: number): Option {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return { code, value: bytes };
}

function optionsLength(options: readonly Option[]): number {
  if (options.length === 0) return 0;
  return options.reduce((sum, option) => sum + 4 + pad4(option.value.length), 0) + 4;
}

function writeOptions(view: DataView, bytes: Uint8Array, offset: number, options: readonly Option[]): number {
  if (options.length === 0) return offset;
  let at = offset;
  for (const option of options) {
    view.setUint16(at, option.code, true);
    view.setUint16(at + 2, option.value.length, true);
    bytes.set(option.value, at + 4);
    at += 4 + pad4(option.value.length);
  }
  return at + 4; // opt_endofopt: code 0, length 0 (already zero)
}

function block(type: number, fixed: Uint8Array, data: Uint8Array | undefined, options: readonly Option[]): Uint8Array {
  const dataLength = data === undefined ? 0 : pad4(data.length);
  const total = 12 + fixed.length + dataLength + optionsLength(options);
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, total, true);
  bytes.set(fixed, 8);
  if (data !== undefined) bytes.set(data, 8 + fixed.length);
  writeOptions(view, bytes, 8 + fixed.length + dataLength, options);
  view.setUint32(total - 4, total, true);
  return bytes;
}

/** Section Header Block. */
export function sectionHeaderBlock(application: string, comment?: string): Uint8Array {
  const fixed = new Uint8Array(16);
  const view = new DataView(fixed.buffer);
  view.setUint32(0, 0x1a2b3c4d, true);
  view.setUint16(4, 1, true);
  view.setUint16(6, 0, true);
  view.setBigInt64(8, -1n, true);
  const options = [...(comment === undefined ? [] : [text(1, comment)]), text(4, application)];
  return block(0x0a0d0d0a, fixed, undefined, options);
}

/** Interface Description Block (Ethernet, microsecond timestamps). */
export function interfaceDescriptionBlock(name: string, description: string): Uint8Array {
  const fixed = new Uint8Array(8);
  const view = new DataView(fixed.buffer);
  view.setUint16(0, LINKTYPE_ETHERNET, true);
  view.setUint32(4, SNAP_LENGTH, true);
  return block(1, fixed, undefined, [text(2, name), text(3, description), { code: 9, value: Uint8Array.of(6) }]);
}

export interface PacketOptions {
  /** Shown by Wireshark as `frame.comment` and under Expert Info → Comments. */
  readonly comments?: readonly string[];
  /** {@link EPB_INBOUND} or {@link EPB_OUTBOUND}. */
  readonly direction?: number;
  /** Original length when `data` is shorter (a truncated capture). */
  readonly originalLength?: number;
}

/** Enhanced Packet Block; `micros` is the time in microseconds since the epoch. */
export function enhancedPacketBlock(interfaceId: number, micros: number, data: Uint8Array, options: PacketOptions = {}): Uint8Array {
  const fixed = new Uint8Array(20);
  const view = new DataView(fixed.buffer);
  const time = BigInt(Math.max(0, Math.round(micros)));
  view.setUint32(0, interfaceId, true);
  view.setUint32(4, Number(time >> 32n), true);
  view.setUint32(8, Number(time & 0xffffffffn), true);
  view.setUint32(12, data.length, true);
  view.setUint32(16, Math.max(data.length, options.originalLength ?? 0), true);
  const list: Option[] = (options.comments ?? []).map((comment) => text(1, comment));
  if (options.direction !== undefined) list.push(u32Option(2, options.direction));
  return block(6, fixed, data, list);
}
