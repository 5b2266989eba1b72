import { describe, expect, it } from 'vitest';
import { type AtmChannel, createAtmClient } from '../src/atm-client.js';
import { createKeyExchange, wrapSessionKey } from '../src/key-exchange.js';
import { MAX_WITHDRAWAL_ID_LENGTH, type AtmRequest } from '../src/messages.js';

const SESSION = 'e'.repeat(64);

/** A bank stand-in that approves everything, answers the key exchange, and records the withdrawal ids and keys it sees. */
function approvingBank(ids: string[], keys: Uint8Array[] = []): () => AtmChannel {
  return () => ({
    call(request: AtmRequest) {
      if (request.op === 'withdraw') ids.push(request.withdrawal);
      if (request.op === 'login') {
        const bank = createKeyExchange();
        const wrappedKey = wrapSessionKey(bank.complete(request.dh), SESSION, Buffer.alloc(32, 3));
        return Promise.resolve({ code: 'APPROVED', message: 'approved', session: SESSION, holder: 'Lab User', expiresAt: 1, dh: bank.publicValue, wrappedKey });
      }
      return Promise.resolve({ code: 'APPROVED', message: 'approved' });
    },
    authenticate: (key) => keys.push(key),
    close: () => undefined,
  });
}

describe('createAtmClient login', () => {
  it('unwraps the session key from the key exchange and hands it to the channel', async () => {
    const keys: Uint8Array[] = [];
    const atm = createAtmClient({ connect: approvingBank([], keys) });
    expect(await atm.login('123456789', '1234')).toMatchObject({ code: 'APPROVED' });
    expect(atm.session).toBe(SESSION);
    expect(keys.map((key) => Buffer.from(key).toString('hex'))).toEqual(['03'.repeat(32)]);
  });
});

describe('createAtmClient default withdrawal ids', () => {
  it('are valid protocol ids, distinct, and ordered by creation within one client', async () => {
    const ids: string[] = [];
    const atm = createAtmClient({ connect: approvingBank(ids) });
    await atm.login('123456789', '1234');
    for (let i = 0; i < 50; i++) expect((await atm.withdraw(1)).status).toBe('dispensed');
    expect(new Set(ids).size).toBe(50);
    for (const id of ids) expect(id).toMatch(new RegExp(`^[A-Za-z0-9._:-]{1,${String(MAX_WITHDRAWAL_ID_LENGTH)}}$`));
    // Time first (base 36 ms, fixed width until 2059), then the per-client part, then the counter:
    // ids of one client sort like their creation order until the counter gains a digit.
    const lastTimes = ids.map((id) => id.slice(2, 10));
    expect([...lastTimes].sort()).toEqual(lastTimes);
  });

  it('differ between two clients created at the same moment', async () => {
    const a: string[] = [];
    const b: string[] = [];
    const first = createAtmClient({ connect: approvingBank(a) });
    const second = createAtmClient({ connect: approvingBank(b) });
    await Promise.all([first.login('123456789', '1234'), second.login('123456789', '1234')]);
    await Promise.all([first.withdraw(1), second.withdraw(1)]);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(a[0]).not.toBe(b[0]);
  });
});
