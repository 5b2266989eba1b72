import { describe, expect, it } from 'vitest';
import { createAtmClient } from '../src/atm-client.js';
import { MAX_WITHDRAWAL_ID_LENGTH, type AtmRequest } from '../src/messages.js';

/** A bank stand-in that approves everything and records the withdrawal ids it is sent. */
function approvingBank(ids: string[]): (request: AtmRequest) => Promise<unknown> {
  return (request) => {
    if (request.op === 'withdraw') ids.push(request.withdrawal);
    if (request.op === 'login') return Promise.resolve({ code: 'APPROVED', message: 'approved', session: 's1', holder: 'Lab User', expiresAt: 1 });
    return Promise.resolve({ code: 'APPROVED', message: 'approved' });
  };
}

describe('createAtmClient default withdrawal ids', () => {
  it('are valid protocol ids, distinct, and ordered by creation within one client', async () => {
    const ids: string[] = [];
    const atm = createAtmClient({ call: approvingBank(ids) });
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
    const first = createAtmClient({ call: approvingBank(a) });
    const second = createAtmClient({ call: approvingBank(b) });
    await Promise.all([first.login('123456789', '1234'), second.login('123456789', '1234')]);
    await Promise.all([first.withdraw(1), second.withdraw(1)]);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(a[0]).not.toBe(b[0]);
  });
});
