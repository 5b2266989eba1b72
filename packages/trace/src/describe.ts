/**
 * Short human descriptions of records, shared by the pcapng comments, the diagrams and the stats:
 * a fault decision in one line, the message(s) a data record carries in one label.
 *
 * Secrets: any JSON member whose name contains `pin` (any case: `pin`, `pinBlock`, `newPin`) is
 * shown as `***`, whatever the ATM's login payload is called this month. The same rule is in the
 * Lua dissector.
 */
import type { DataRecord, FaultRecord, JsonValue } from './record.js';
import { dataBytes } from './record.js';

/** Longest label drawn by default (characters). */
export const DEFAULT_LABEL_CHARS = 60;
const SECRET = /pin/i;

/** A copy of `value` with every member named like a PIN replaced by `***`. */
export function maskSecrets(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map((item: JsonValue) => maskSecrets(item));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value as Readonly<Record<string, JsonValue>>)) out[key] = SECRET.test(key) ? '***' : maskSecrets(item);
    return out;
  }
  return value;
}

/** `drop (loss, seed 7, datagram #2)`, `delay 120 ms (latency, seed 7)`, `slice at byte 5 (slicer, seed 3)`. */
export function describeFault(record: FaultRecord): string {
  const parts: string[] = [];
  if (record.delayMs !== undefined) parts.push(`${round(record.delayMs)} ms`);
  if (record.offset !== undefined) parts.push(`at byte ${record.offset}`);
  if (record.count !== undefined) parts.push(`×${record.count}`);
  if (record.bit !== undefined) parts.push(`bit ${record.bit}`);
  const what = [record.action, ...parts].join(' ');
  const context = [record.toxic, `seed ${record.seed}`];
  if (record.datagram !== undefined) context.push(`datagram #${record.datagram}`);
  if (record.bytesAffected !== undefined) context.push(`${record.bytesAffected} bytes`);
  return `${what} (${context.join(', ')})`;
}

/** The pcapng comment of a fault: who decided, and what. */
export function formatFault(record: FaultRecord): string {
  const side = record.side === undefined ? '' : ` ${record.side} side`;
  const dir = record.from !== undefined && record.to !== undefined ? ` ${record.from.port}->${record.to.port}` : '';
  return `netlab ${record.label}${side}${dir}: ${describeFault(record)}`;
}

const round = (ms: number): string => (Number.isInteger(ms) ? String(ms) : ms.toFixed(1));

/**
 * Text of bytes when they are printable UTF-8 (lines joined by ` | `), else undefined. A chunk
 * cut inside a character (TCP may cut anywhere) keeps its text, with `…` where the cut is.
 */
export function printableText(bytes: Uint8Array): string | undefined {
  let text = new TextDecoder('utf-8').decode(bytes);
  // Only an incomplete character at either end may be replaced: a cut, not binary data.
  text = text.replace(/^\uFFFD{1,3}/, '…').replace(/\uFFFD{1,3}$/, '…');
  // Invalid UTF-8 inside, or control characters other than tab, CR and LF, mean "binary".
  // eslint-disable-next-line no-control-regex
  if (/[\uFFFD\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return undefined;
  if (/^\r?\n$/.test(text)) return '\\n';
  return text.replace(/\r?\n$/, '').split(/\r?\n/).join(' | ');
}

function jsonLabel(value: JsonValue): string {
  return typeof value === 'string' ? value : JSON.stringify(maskSecrets(value));
}

/** Decoded JSON of a length-prefixed frame sequence (u32 BE + JSON), when the bytes are exactly that. */
function framedJson(bytes: Uint8Array): JsonValue[] | undefined {
  const out: JsonValue[] = [];
  let offset = 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (offset + 4 <= bytes.length) {
    const length = view.getUint32(offset);
    if (offset + 4 + length > bytes.length) return undefined;
    try {
      out.push(JSON.parse(Buffer.from(bytes.subarray(offset + 4, offset + 4 + length)).toString('utf8')) as JsonValue);
    } catch {
      return undefined;
    }
    offset += 4 + length;
  }
  return offset === bytes.length && out.length > 0 ? out : undefined;
}

/** The messages a data record carries: `messages` when recorded, else decoded from its bytes. */
export function recordMessages(record: DataRecord): readonly JsonValue[] | undefined {
  if (record.messages !== undefined) return record.messages;
  const bytes = dataBytes(record);
  return framedJson(bytes);
}

/** One label for a data record: its messages, else its text, else its size. Never longer than `maxChars`. */
export function describeData(record: DataRecord, maxChars = DEFAULT_LABEL_CHARS): string {
  const messages = recordMessages(record);
  let label: string;
  if (messages !== undefined) label = messages.map((message) => summarizeMessage(message)).join(' | ');
  else label = printableText(dataBytes(record)) ?? `${record.len} bytes`;
  if (label === '') label = record.len === 0 ? '(empty)' : '(empty line)';
  return label.length > maxChars ? `${label.slice(0, maxChars - 1)}…` : label;
}

/**
 * One message in a few words. Request-log envelopes read as `c1#3 withdraw 50000` and
 * `c1#3 APPROVED` / `c1#3 ERR_STALE` (`replay` marked); anything else as masked JSON.
 */
export function summarizeMessage(message: JsonValue): string {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return jsonLabel(message);
  const envelope = message as Readonly<Record<string, JsonValue>>;
  const id = typeof envelope.clientId === 'string' && typeof envelope.seq === 'number' ? `${envelope.clientId}#${envelope.seq}` : undefined;
  if (envelope.kind === 'request' && id !== undefined) {
    const payload = envelope.payload;
    if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
      const p = payload as Readonly<Record<string, JsonValue>>;
      const words = [id, typeof p.op === 'string' ? p.op : 'request'];
      if (typeof p.amount === 'number') words.push(String(p.amount));
      if (typeof p.withdrawal === 'string') words.push(p.withdrawal);
      return words.join(' ');
    }
    return `${id} request`;
  }
  if (envelope.kind === 'reply' && id !== undefined) {
    const replay = envelope.replay === true ? ' (replay)' : '';
    if (envelope.status === 'error' && typeof envelope.code === 'string') return `${id} ${envelope.code}`;
    if (typeof envelope.body === 'string') {
      try {
        const body = JSON.parse(envelope.body) as { ok?: boolean; value?: { code?: unknown }; error?: { code?: unknown } };
        const code = body.ok === true ? body.value?.code : body.error?.code;
        if (typeof code === 'string') return `${id} ${code}${replay}`;
      } catch {
        // not JSON: fall through
      }
    }
    return `${id} reply${replay}`;
  }
  return jsonLabel(message);
}
