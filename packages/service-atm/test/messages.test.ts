import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { MAX_SESSION_TOKEN_LENGTH, MAX_WITHDRAWAL_ID_LENGTH, atmRequestSchema, parseAtmRequest, parseWellFormedRequest } from '../src/messages.js';

const session = 'a'.repeat(64);
const inherited = Object.assign(Object.create({ session }) as Record<string, unknown>, { op: 'balance', extra: 1 });

/** Valid and almost-valid payloads: the fast path must never accept what the schema refuses. */
const payloads: readonly unknown[] = [
  { op: 'withdraw', session, withdrawal: 'w-1', amount: 500 },
  { op: 'withdraw', session, withdrawal: 'w-1', amount: 5.5 },
  { op: 'withdraw', session, withdrawal: 'w-1', amount: -1 },
  { op: 'withdraw', session, withdrawal: 'w-1', amount: Number.NaN },
  { op: 'withdraw', session, withdrawal: 'w-1', amount: Number.POSITIVE_INFINITY },
  { op: 'withdraw', session, withdrawal: 'w-1', amount: '5' },
  { op: 'withdraw', session, withdrawal: 'w-1' },
  { op: 'withdraw', session, withdrawal: 'w-1', amount: 1, extra: true },
  { op: 'withdraw', session, withdrawal: 'w 1', amount: 1 },
  { op: 'withdraw', session, withdrawal: '', amount: 1 },
  { op: 'withdraw', session, withdrawal: 'w'.repeat(MAX_WITHDRAWAL_ID_LENGTH), amount: 1 },
  { op: 'withdraw', session, withdrawal: 'w'.repeat(MAX_WITHDRAWAL_ID_LENGTH + 1), amount: 1 },
  { op: 'withdraw', session: 's.1', withdrawal: 'w-1', amount: 1 },
  { op: 'withdraw', session: 'f'.repeat(MAX_SESSION_TOKEN_LENGTH), withdrawal: 'w-1', amount: 1 },
  { op: 'withdraw', session: 'f'.repeat(MAX_SESSION_TOKEN_LENGTH - 1), withdrawal: 'w-1', amount: 1 },
  { op: 'withdraw', session: 'f'.repeat(MAX_SESSION_TOKEN_LENGTH + 1), withdrawal: 'w-1', amount: 1 },
  { op: 'withdraw', session: 'F'.repeat(MAX_SESSION_TOKEN_LENGTH), withdrawal: 'w-1', amount: 1 },
  { op: 'withdraw', session: '', withdrawal: 'w-1', amount: 1 },
  { op: 'withdraw', session: 'é', withdrawal: 'w-1', amount: 1 },
  { op: 'withdraw', session: 'ok\n', withdrawal: 'w-1', amount: 1 },
  { op: 'withdraw', session: null, withdrawal: 'w-1', amount: 1 },
  { op: 'confirm', withdrawal: 'w-1' },
  { op: 'confirm', withdrawal: 'w-1', session },
  { op: 'confirm', withdrawal: 'w-1', session, amount: 1 },
  { op: 'confirm', withdrawal: 7, session },
  { op: 'reverse', withdrawal: 'w.1:2_3-4', session },
  { op: 'reverse', withdrawal: 'w.1:2_3-4' },
  { op: 'reverse', session },
  { op: 'balance', session },
  { op: 'balance', session, amount: 1 },
  { op: 'logout', session },
  { op: 'logout', session: 5 },
  { op: 'deposit', session, amount: 100 },
  { op: 'deposit', session, amount: 0 },
  { op: 'deposit', session },
  { op: 'login', card: '123456789', pinBlock: 'a'.repeat(64) },
  { op: 'login', card: '123456789', pinBlock: 'a'.repeat(64), dh: '2'.repeat(512) },
  { op: 'login', card: '123456789', pinBlock: 'a'.repeat(64), dh: '2'.repeat(511) },
  { op: 'transfer', session },
  { session },
  inherited,
  JSON.parse(`{"op":"balance","session":"${session}","__proto__":{"x":1}}`) as unknown,
  [],
  ['balance'],
  null,
  'balance',
  42,
];

describe('parseAtmRequest', () => {
  it('accepts on the fast path only payloads the schema accepts, and returns what the schema returns', () => {
    let fast = 0;
    for (const payload of payloads) {
      const quick = parseWellFormedRequest(payload);
      const schema = v.safeParse(atmRequestSchema, payload);
      if (quick !== undefined) {
        fast++;
        expect(schema.success).toBe(true);
        expect(quick).toEqual(schema.output);
      }
      expect(parseAtmRequest(payload).ok).toBe(schema.success);
    }
    // withdraw ×5 (any finite amount; two at the length limits), confirm, reverse, balance, logout, deposit ×2.
    expect(fast).toBe(11);
    // A session token is exactly 64 lowercase hex; logins always go through the schema.
    expect(parseAtmRequest({ op: 'login', card: '123456789', pinBlock: 'a'.repeat(64), dh: '2'.repeat(512) }).ok).toBe(true);
  });

  it('leaves logins and every invalid payload to the schema, which words the refusal', () => {
    expect(parseWellFormedRequest({ op: 'login', card: '123456789', pinBlock: 'a'.repeat(64), dh: '2'.repeat(512) })).toBeUndefined();
    expect(parseAtmRequest({ op: 'withdraw', session, withdrawal: 'w-1', amount: 1, extra: true })).toEqual({ ok: false, message: 'extra: unexpected field' });
    expect(parseAtmRequest({ op: 'confirm', session, withdrawal: 7 })).toMatchObject({ ok: false, message: 'withdrawal: invalid string, expected string' });
    expect(parseAtmRequest({ op: 'confirm', withdrawal: 'w-1' })).toMatchObject({ ok: false, message: 'session: missing field' });
  });
});
