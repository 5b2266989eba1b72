/**
 * The ATM protocol as `netlab check` speaks it, written from docs/protocols/atm.md alone (it
 * never imports netlab's bank or ATM, so a student's implementation is judged by the document,
 * exactly as netlab's own): frames (u32 big-endian length + UTF-8 JSON), canonical JSON, the PIN
 * block, the envelope MAC, and the Diffie-Hellman session-key unwrapping of RFC 3526 group 14.
 */
import { createDiffieHellmanGroup, createHmac, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { CaseFailure, CheckError } from '../errors.js';
import { showBytes } from '../escape.js';

/** Largest frame the protocol allows, bytes (docs/protocols/atm.md, Limits). */
export const ATM_MAX_FRAME_BYTES = 64 * 1024;
/** Unread bytes an ATM probe keeps before it drops the peer. */
export const ATM_PROBE_MAX_BUFFERED = 256 * 1024;

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
export type JsonObject = Readonly<Record<string, Json>>;

/** RFC 8785 canonical JSON for what ATM payloads hold (ASCII strings, integers, objects). */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${(value as readonly Json[]).map(canonicalJson).join(',')}]`;
  const object = value as JsonObject;
  const keys = Object.keys(object).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key] ?? null)}`).join(',')}}`;
}

const hmacHex = (key: string | Uint8Array, text: string): string => createHmac('sha256', key).update(text, 'utf8').digest('hex');

/** `HMAC-SHA256("netlab-atm-pin-block-v1", card + ":" + pin)` in hex. */
export function pinBlock(card: string, pin: string): string {
  return hmacHex('netlab-atm-pin-block-v1', `${card}:${pin}`);
}

/** The envelope MAC: `HMAC(sessionKey, "netlab-request-mac-v1\n" + clientId + "\n" + seq + "\n" + ack + "\n" + canonical(payload))`. */
export function envelopeMac(key: Uint8Array, clientId: string, seq: number, ack: number, payload: Json): string {
  return hmacHex(key, `netlab-request-mac-v1\n${clientId}\n${seq}\n${ack}\n${canonicalJson(payload)}`);
}

/** True when `mac` is the right MAC of the envelope (constant time). */
export function macMatches(key: Uint8Array, clientId: string, seq: number, ack: number, payload: Json, mac: unknown): boolean {
  if (typeof mac !== 'string' || !/^[0-9a-f]{64}$/u.test(mac)) return false;
  return timingSafeEqual(Buffer.from(envelopeMac(key, clientId, seq, ack, payload), 'hex'), Buffer.from(mac, 'hex'));
}

/** One side of the group-14 Diffie-Hellman exchange: `publicHex` is 512 hex characters. */
export interface DhParty {
  readonly publicHex: string;
  /** The shared secret `s` (256 bytes, big-endian) from the other side's 512-hex value. */
  secret(otherHex: string): Buffer;
}

export function createDhParty(): DhParty {
  const dh = createDiffieHellmanGroup('modp14');
  const publicHex = dh.generateKeys('hex').padStart(512, '0');
  return {
    publicHex,
    secret: (otherHex) => {
      const raw = dh.computeSecret(Buffer.from(otherHex, 'hex'));
      return Buffer.concat([Buffer.alloc(256 - raw.length), raw]);
    },
  };
}

/** `HMAC-SHA256(s, "netlab-atm-session-key-v1\n" + token)`: the mask of the wrapped session key. */
export function sessionKeyMask(secret: Uint8Array, token: string): Buffer {
  return createHmac('sha256', secret).update(`netlab-atm-session-key-v1\n${token}`, 'utf8').digest();
}

export function xor(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.alloc(Math.min(a.length, b.length));
  for (let i = 0; i < out.length; i += 1) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/** `text` as one frame: a 4-byte big-endian length and the UTF-8 bytes. */
export function frame(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

/** What came back on a frame connection: a frame's text, or the end of the connection. */
export type FrameEvent = { readonly kind: 'frame'; readonly text: string } | { readonly kind: 'closed' };

/**
 * A TCP connection carrying frames, with bounded waits. Frames are split as they arrive; a
 * length over {@link ATM_MAX_FRAME_BYTES} or more than {@link ATM_PROBE_MAX_BUFFERED} unread
 * bytes drops the connection (the next wait sees `closed`).
 */
export interface FrameConnection {
  readonly name: string;
  send(data: Uint8Array): Promise<void>;
  /** The next frame, or `closed`; `undefined` when nothing came within `timeoutMs`. */
  next(timeoutMs: number): Promise<FrameEvent | undefined>;
  /** True once the peer closed or reset the connection. */
  readonly closed: boolean;
  destroy(): void;
}

export async function connectFrames(host: string, port: number, name: string, connectTimeoutMs: number): Promise<FrameConnection> {
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new CheckError('ERR_TARGET_UNREACHABLE', `${name}: could not connect to ${host}:${port} within ${connectTimeoutMs} ms`));
    }, connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new CheckError('ERR_TARGET_UNREACHABLE', `${name}: could not connect to ${host}:${port}: ${error.message}`));
    });
  });
  let buffer = Buffer.alloc(0);
  const events: FrameEvent[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const close = (): void => {
    if (closed) return;
    closed = true;
    events.push({ kind: 'closed' });
    socket.destroy();
    notify();
  };
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    if (buffer.length > ATM_PROBE_MAX_BUFFERED) {
      close();
      return;
    }
    while (buffer.length >= 4) {
      const length = buffer.readUInt32BE(0);
      if (length > ATM_MAX_FRAME_BYTES) {
        close();
        return;
      }
      if (buffer.length < 4 + length) break;
      events.push({ kind: 'frame', text: buffer.subarray(4, 4 + length).toString('utf8') });
      buffer = buffer.subarray(4 + length);
    }
    notify();
  });
  socket.on('end', close);
  socket.on('close', close);
  socket.on('error', close);
  return {
    name,
    get closed() {
      return closed;
    },
    send: (data) =>
      new Promise<void>((resolve, reject) => {
        if (closed) {
          reject(new CaseFailure(`${name}: the server had closed the connection before the checker could send ${data.length} bytes`));
          return;
        }
        socket.write(data, (error) => {
          if (error === null || error === undefined) resolve();
          else reject(new CaseFailure(`${name}: sending failed: ${error.message}`));
        });
      }),
    async next(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const event = events.shift();
        if (event !== undefined) {
          // `closed` stays visible to every later wait.
          if (event.kind === 'closed') events.unshift(event);
          return event;
        }
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    destroy: () => {
      closed = true;
      socket.destroy();
    },
  };
}

/** Parses a frame as a JSON object, or fails the case saying what came. */
export function parseObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CaseFailure(`${what}: expected a JSON object; got ${showBytes(text)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CaseFailure(`${what}: expected a JSON object; got ${showBytes(text)}`);
  return value as Record<string, unknown>;
}
