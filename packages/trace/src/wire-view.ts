/**
 * The wire view of a data record (what `--hex` on clients and the proxy prints): one header line,
 * the bytes in hex with ` | ` at every frame boundary, and one line naming each frame.
 *
 *   → tcp 127.0.0.1:50412 → 127.0.0.1:7102, 16 bytes
 *     67 72 c3 bc c3 9f 20 64 69 63 68 0a | 62 79 65 0a
 *     line "grüß dich" (12 bytes) | line "bye" (4 bytes)
 *
 * Framing: `lines` (LF-terminated, CR before LF accepted), `u32` (u32 big-endian length + payload,
 * as the ATM), `datagram` (the whole record is one message), or `auto` (u32 when the bytes are
 * exactly whole u32 frames, datagram for UDP, else lines). A chunk is viewed on its own: bytes
 * after its last boundary are shown as a partial frame (TCP may cut anywhere). Long records are
 * cut at `maxBytes` (shown as `…`).
 */
import { printableText } from './describe.js';
import { type DataRecord, dataBytes, formatEndpoint } from './record.js';

export type WireFraming = 'auto' | 'lines' | 'u32' | 'datagram';

/** Bytes shown per record before the view is cut. */
export const DEFAULT_WIRE_VIEW_BYTES = 256;

export interface WireViewOptions {
  /** How to find frame boundaries. Default `auto`. */
  readonly framing?: WireFraming;
  /** Most bytes shown. Default {@link DEFAULT_WIRE_VIEW_BYTES}. */
  readonly maxBytes?: number;
}

interface Frame {
  readonly start: number;
  readonly end: number;
  readonly name: string;
}

const quote = (bytes: Uint8Array): string => JSON.stringify(printableText(bytes) ?? `${bytes.length} bytes`);

function u32Frames(bytes: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (offset + 4 <= bytes.length) {
    const length = view.getUint32(offset);
    const end = offset + 4 + length;
    if (end > bytes.length) return [...frames, { start: offset, end: bytes.length, name: `partial frame (${bytes.length - offset} of ${length + 4} bytes)` }];
    frames.push({ start: offset, end, name: `frame ${length}+4 bytes ${quote(bytes.subarray(offset + 4, end))}` });
    offset = end;
  }
  if (offset < bytes.length) frames.push({ start: offset, end: bytes.length, name: `partial length prefix (${bytes.length - offset} bytes)` });
  return frames;
}

function lineFrames(bytes: Uint8Array): Frame[] {
  const frames: Frame[] = [];
  let start = 0;
  for (let index = 0; index < bytes.length; index += 1) {
    if (bytes[index] !== 0x0a) continue;
    const contentEnd = index > start && bytes[index - 1] === 0x0d ? index - 1 : index;
    frames.push({ start, end: index + 1, name: `line ${quote(bytes.subarray(start, contentEnd))} (${index + 1 - start} bytes)` });
    start = index + 1;
  }
  if (start < bytes.length) frames.push({ start, end: bytes.length, name: `partial line ${quote(bytes.subarray(start))} (${bytes.length - start} bytes, no newline yet)` });
  return frames;
}

/** The wire view of one data record, as lines of text (no trailing newline). */
export function formatWireView(record: DataRecord, options: WireViewOptions = {}): string {
  const bytes = dataBytes(record);
  const framing = options.framing ?? 'auto';
  const maxBytes = options.maxBytes ?? DEFAULT_WIRE_VIEW_BYTES;
  let frames: Frame[];
  if (framing === 'datagram' || (framing === 'auto' && record.transport === 'udp')) frames = bytes.length === 0 ? [] : [{ start: 0, end: bytes.length, name: `datagram ${quote(bytes)}` }];
  else if (framing === 'u32') frames = u32Frames(bytes);
  else if (framing === 'auto') {
    const framed = u32Frames(bytes);
    frames = framed.length > 0 && framed.every((frame) => frame.name.startsWith('frame ')) ? framed : lineFrames(bytes);
  } else frames = lineFrames(bytes);
  const arrow = record.dir === 'out' ? '→' : '←';
  const size = record.truncated === true ? `${record.len} bytes (${bytes.length} recorded)` : `${record.len} bytes`;
  const header = `${arrow} ${record.transport} ${formatEndpoint(record.from)} → ${formatEndpoint(record.to)}, ${size}`;
  const hexParts: string[] = [];
  let shown = 0;
  for (const frame of frames) {
    if (shown >= maxBytes) break;
    const end = Math.min(frame.end, frame.start + (maxBytes - shown));
    hexParts.push(Buffer.from(bytes.subarray(frame.start, end)).toString('hex').replace(/(..)(?!$)/g, '$1 ') + (end < frame.end ? ' …' : ''));
    shown += end - frame.start;
  }
  if (bytes.length === 0) return `${header}\n  (no bytes)`;
  return `${header}\n  ${hexParts.join(' | ')}\n  ${frames.map((frame) => frame.name).join(' | ')}`;
}
