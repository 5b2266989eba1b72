import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createClientCore, envelopeMacInput, macEnvelope, requestEnvelopeSchema, verifyEnvelopeMac } from '../../src/index.js';
import * as v from 'valibot';

const KEY = Buffer.alloc(32, 7);
const envelope = { clientId: 'c1', seq: 3, ack: 2, payload: { op: 'balance', session: 's', amount: 5 } } as const;

describe('envelope MACs', () => {
  it('MACs the documented text: context, clientId, seq, ack and the canonical payload, one per line', () => {
    expect(envelopeMacInput(envelope)).toBe('netlab-request-mac-v1\nc1\n3\n2\n{"amount":5,"op":"balance","session":"s"}');
    const expected = createHmac('sha256', KEY).update('netlab-request-mac-v1\nc1\n3\n2\n{"amount":5,"op":"balance","session":"s"}').digest('hex');
    expect(macEnvelope(KEY, envelope)).toBe(expected);
  });

  it('verifies the right MAC and refuses a missing, malformed or changed one', () => {
    const mac = macEnvelope(KEY, envelope);
    expect(verifyEnvelopeMac(KEY, { ...envelope, mac })).toBe(true);
    expect(verifyEnvelopeMac(KEY, envelope)).toBe(false);
    expect(verifyEnvelopeMac(KEY, { ...envelope, mac: mac.toUpperCase() })).toBe(false);
    expect(verifyEnvelopeMac(KEY, { ...envelope, mac: mac.slice(1) })).toBe(false);
    for (const changed of [{ clientId: 'c2' }, { seq: 4 }, { ack: 1 }, { payload: { ...envelope.payload, amount: 6 } }]) {
      expect(verifyEnvelopeMac(KEY, { ...envelope, ...changed, mac })).toBe(false);
    }
    expect(verifyEnvelopeMac(Buffer.alloc(32, 8), { ...envelope, mac })).toBe(false);
  });

  it('does not depend on the payload key order', () => {
    const mac = macEnvelope(KEY, envelope);
    expect(verifyEnvelopeMac(KEY, { ...envelope, payload: { session: 's', amount: 5, op: 'balance' }, mac })).toBe(true);
  });

  it('accepts a 64-hex mac in the envelope schema and refuses any other shape', () => {
    const base = { kind: 'request', clientId: 'c1', seq: 1, ack: 0, payload: null };
    expect(v.safeParse(requestEnvelopeSchema, { ...base, mac: 'a'.repeat(64) }).success).toBe(true);
    expect(v.safeParse(requestEnvelopeSchema, { ...base, mac: 'a'.repeat(63) }).success).toBe(false);
    expect(v.safeParse(requestEnvelopeSchema, { ...base, mac: 'A'.repeat(64) }).success).toBe(false);
  });
});

describe('client core with a key', () => {
  it('MACs every transmission after authenticate, with the watermark current at each one', () => {
    const core = createClientCore({ clientId: 'c', jitter: 0, initialRetransmitMs: 10, giveUpAfterMs: 0 });
    const first = core.submit({ n: 1 }, 0).output.send[0];
    expect(first?.mac).toBeUndefined();
    core.authenticate(KEY);
    core.receive({ kind: 'reply', clientId: 'c', seq: 1, status: 'done', replay: false, body: '{"ok":true,"value":1}' }, 1);
    const second = core.submit({ n: 2 }, 2).output.send[0];
    expect(second).toMatchObject({ seq: 2, ack: 1 });
    expect(second !== undefined && verifyEnvelopeMac(KEY, second)).toBe(true);
    const again = core.poll(100).send[0];
    expect(again !== undefined && again.mac === second?.mac && verifyEnvelopeMac(KEY, again)).toBe(true);
    core.authenticate(undefined);
    expect(core.poll(1_000).send[0]?.mac).toBeUndefined();
  });

  it('treats ERR_UNAUTHENTICATED as a definite failure of that request', () => {
    const core = createClientCore({ clientId: 'c', jitter: 0 });
    core.submit({ n: 1 }, 0);
    const output = core.receive({ kind: 'reply', clientId: 'c', seq: 1, status: 'error', code: 'ERR_UNAUTHENTICATED', message: 'no' }, 1);
    expect(output.events).toMatchObject([{ type: 'failed', seq: 1, error: { code: 'ERR_UNAUTHENTICATED' } }]);
    expect(core.ack).toBe(1);
  });
});
