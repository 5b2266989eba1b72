import { describe, expect, it } from 'vitest';
import {
  MAX_CLIENT_ID_LENGTH,
  createClientDatagramCodec,
  createClientStreamCodec,
  createServerDatagramCodec,
  createServerStreamCodec,
} from '../../src/index.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('wire envelopes', () => {
  it('frames a request as u32 big-endian length + JSON (golden bytes)', () => {
    const bytes = createClientStreamCodec().encode({ kind: 'request', clientId: 'c', seq: 1, ack: 0, payload: 7 });
    const json = '{"kind":"request","clientId":"c","seq":1,"ack":0,"payload":7}';
    expect(hex(bytes)).toBe(`${json.length.toString(16).padStart(8, '0')}${Buffer.from(json).toString('hex')}`);
    expect(createServerStreamCodec().createDecoder().push(bytes)).toEqual([{ kind: 'request', clientId: 'c', seq: 1, ack: 0, payload: 7 }]);
  });

  it('round-trips replies of both kinds over UDP', () => {
    const server = createServerDatagramCodec();
    const client = createClientDatagramCodec();
    const done = { kind: 'reply', clientId: 'c', seq: 2, status: 'done', replay: true, body: '{"ok":true,"value":1}' } as const;
    const error = { kind: 'reply', clientId: 'c', seq: 2, status: 'error', code: 'ERR_MISMATCH', message: 'm', fields: ['a'] } as const;
    expect(client.decode(server.encode(done))).toEqual(done);
    expect(client.decode(server.encode(error))).toEqual(error);
  });

  it('accepts a client id of exactly the maximum length and refuses one character more', () => {
    const decoder = createServerDatagramCodec({ maxDatagramBytes: 60_000 });
    const encode = (clientId: string): Uint8Array => Buffer.from(JSON.stringify({ kind: 'request', clientId, seq: 1, ack: 0, payload: null }));
    expect(decoder.decode(encode('x'.repeat(MAX_CLIENT_ID_LENGTH))).clientId).toHaveLength(MAX_CLIENT_ID_LENGTH);
    expect(() => decoder.decode(encode('x'.repeat(MAX_CLIENT_ID_LENGTH + 1)))).toThrow(/schema/);
  });

  it('refuses a request whose ack is not below its seq, or with extra fields', () => {
    const decoder = createServerDatagramCodec();
    const encode = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));
    expect(() => decoder.decode(encode({ kind: 'request', clientId: 'c', seq: 3, ack: 3, payload: 1 }))).toThrow(/ack must be below seq/);
    expect(() => decoder.decode(encode({ kind: 'request', clientId: 'c', seq: 3, ack: 0, payload: 1, extra: 1 }))).toThrow(/schema/);
    expect(() => decoder.decode(encode({ kind: 'request', clientId: 'c', seq: 0, ack: 0, payload: 1 }))).toThrow(/schema/);
  });

  it('refuses to send a request that does not fit one datagram', () => {
    const codec = createClientDatagramCodec({ maxDatagramBytes: 100 });
    expect(() => codec.encode({ kind: 'request', clientId: 'c', seq: 1, ack: 0, payload: 'x'.repeat(200) })).toThrow(/exceeds/);
  });
});
