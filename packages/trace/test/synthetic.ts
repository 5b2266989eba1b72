/**
 * Synthetic traces with exactly the segmentation a test needs (split, coalesced, malformed),
 * made with the real recorder API and a fake clock.
 */
import { type Direction, type TraceRecord, type Transport, createTraceWriter, createTracer, parseTrace } from '../src/index.js';

export type Chunk = readonly [Direction, string | Uint8Array];

/** A client (127.0.0.1:50000) talking to a server on `port`, as the server records it. */
export function serverTrace(port: number, chunks: readonly Chunk[], transport: Transport = 'tcp', options: { close?: boolean; addr?: string } = {}): TraceRecord[] {
  let text = '';
  const writer = createTraceWriter({ write: (line: string) => { text += line; return true; } });
  let t = 1_733_068_800_000;
  const tracer = createTracer(writer, { role: 'server', label: 'test', now: () => (t += 1) });
  const addr = options.addr ?? '127.0.0.1';
  const flow = tracer.flow({ transport, local: { addr, port }, remote: { addr, port: 50_000 }, initiator: 'remote' });
  if (transport === 'tcp') flow.open();
  for (const [dir, data] of chunks) flow.data(dir, typeof data === 'string' ? Buffer.from(data) : data);
  if (transport === 'tcp' && options.close !== false) {
    flow.end('out');
    flow.end('in');
    flow.close();
  }
  return parseTrace(text);
}

/** A u32 big-endian length-prefixed frame of the JSON of `value`. */
export function frame(value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value));
  const header = Buffer.alloc(4);
  header.writeUInt32BE(json.length);
  return Buffer.concat([header, json]);
}

export const PIN_BLOCK = '5f0c9e1d2b3a4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5';

export const atmLogin = { kind: 'request', clientId: 'atm-1', seq: 1, ack: 0, payload: { op: 'login', card: '123456789', pinBlock: PIN_BLOCK } };
export const atmBalance = { kind: 'request', clientId: 'atm-1', seq: 2, ack: 1, payload: { op: 'balance', session: 's-1' } };
export const atmWithdraw = { kind: 'request', clientId: 'atm-1', seq: 3, ack: 2, payload: { op: 'withdraw', session: 's-1', withdrawal: 'w-1', amount: 50_000 } };
export const reply = (seq: number, value: Record<string, unknown>, replay = false): Record<string, unknown> => ({
  kind: 'reply',
  clientId: 'atm-1',
  seq,
  status: 'done',
  replay,
  body: JSON.stringify({ ok: true, value }),
});
export const staleReply = { kind: 'reply', clientId: 'atm-1', seq: 1, status: 'error', code: 'ERR_STALE', message: 'stale', ack: 3 };
