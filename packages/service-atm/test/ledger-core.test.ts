import { describe, expect, it } from 'vitest';
import {
  type AccountRow,
  DEFAULT_LEDGER_LIMITS,
  type LoadedRows,
  type OperationContext,
  type SessionRow,
  type WithdrawalRow,
  decideOperation,
  invalidRequestOutcome,
} from '../src/ledger-core.js';
import type { AtmRequest } from '../src/messages.js';
import { RESPONSE_CODE_NAMES, type ResponseCode } from '../src/response-codes.js';

const NOW = 1_000_000;
const account: AccountRow = { card: '123456789', holder: 'Lab User', pinHash: 'scrypt$4$8$1$00$00', balance: 100_000, pinTries: 0 };
const session: SessionRow = { token: 's1', card: '123456789', expiresAt: NOW + 60_000 };
const held: WithdrawalRow = { id: 'w1', terminal: 't1', card: '123456789', amount: 5_000, status: 'held' };
const context: OperationContext = { terminal: 't1', seq: 1, now: NOW, limits: DEFAULT_LEDGER_LIMITS, pinMatches: true, newSessionToken: 'new-token' };
const BLOCK = 'a'.repeat(64);

function run(request: AtmRequest, rows: LoadedRows, overrides: Partial<OperationContext> = {}): ReturnType<typeof decideOperation> {
  return decideOperation(request, rows, { ...context, ...overrides });
}

const seen = new Set<ResponseCode>();
function code(outcome: ReturnType<typeof decideOperation>): ResponseCode {
  seen.add(outcome.reply.code);
  return outcome.reply.code;
}

describe('decideOperation: login', () => {
  it('approves the right PIN, opens a session and resets the tries', () => {
    const outcome = run({ op: 'login', card: account.card, pinBlock: BLOCK }, { account: { ...account, pinTries: 2 } });
    expect(code(outcome)).toBe('APPROVED');
    expect(outcome.reply).toMatchObject({ session: 'new-token', holder: 'Lab User', expiresAt: NOW + DEFAULT_LEDGER_LIMITS.sessionIdleMs });
    expect(outcome.changes.putSession).toEqual({ token: 'new-token', card: account.card, expiresAt: NOW + DEFAULT_LEDGER_LIMITS.sessionIdleMs });
    expect(outcome.changes.account?.pinTries).toBe(0);
    expect(outcome.journal).toMatchObject({ op: 'login', code: 'APPROVED', terminal: 't1', seq: 1 });
  });

  it('answers UNKNOWN_CARD for a card with no account', () => {
    expect(code(run({ op: 'login', card: '999999999', pinBlock: BLOCK }, {}))).toBe('UNKNOWN_CARD');
  });

  it('counts a wrong PIN and says how many tries are left', () => {
    const outcome = run({ op: 'login', card: account.card, pinBlock: BLOCK }, { account }, { pinMatches: false });
    expect(code(outcome)).toBe('INCORRECT_PIN');
    expect(outcome.reply.triesLeft).toBe(2);
    expect(outcome.changes.account?.pinTries).toBe(1);
    expect(outcome.changes.putSession).toBeUndefined();
  });

  it('locks the card on the third wrong PIN and refuses even the right PIN afterwards', () => {
    const third = run({ op: 'login', card: account.card, pinBlock: BLOCK }, { account: { ...account, pinTries: 2 } }, { pinMatches: false });
    expect(code(third)).toBe('PIN_TRIES_EXCEEDED');
    expect(third.changes.account?.pinTries).toBe(3);
    const after = run({ op: 'login', card: account.card, pinBlock: BLOCK }, { account: { ...account, pinTries: 3 } });
    expect(code(after)).toBe('PIN_TRIES_EXCEEDED');
    expect(after.changes).toEqual({});
  });
});

describe('decideOperation: session operations', () => {
  it('answers the balance and keeps the session alive', () => {
    const outcome = run({ op: 'balance', session: 's1' }, { session, account });
    expect(code(outcome)).toBe('APPROVED');
    expect(outcome.reply.balance).toBe(100_000);
    expect(outcome.changes.putSession?.expiresAt).toBe(NOW + DEFAULT_LEDGER_LIMITS.sessionIdleMs);
  });

  it('answers UNKNOWN_SESSION for a token it never issued', () => {
    expect(code(run({ op: 'balance', session: 'nope' }, {}))).toBe('UNKNOWN_SESSION');
  });

  it('answers SESSION_EXPIRED once the idle time has passed, and forgets the session', () => {
    const outcome = run({ op: 'deposit', session: 's1', amount: 100 }, { session: { ...session, expiresAt: NOW }, account });
    expect(code(outcome)).toBe('SESSION_EXPIRED');
    expect(outcome.changes.deleteSession).toBe('s1');
    expect(outcome.changes.account).toBeUndefined();
  });

  it('ends a session whose card was locked meanwhile', () => {
    const outcome = run({ op: 'balance', session: 's1' }, { session, account: { ...account, pinTries: 3 } });
    expect(code(outcome)).toBe('PIN_TRIES_EXCEEDED');
    expect(outcome.changes.deleteSession).toBe('s1');
  });

  it('deposits', () => {
    const outcome = run({ op: 'deposit', session: 's1', amount: 20_000 }, { session, account });
    expect(code(outcome)).toBe('APPROVED');
    expect(outcome.reply).toMatchObject({ amount: 20_000, balance: 120_000 });
    expect(outcome.changes.account?.balance).toBe(120_000);
  });

  it.each([0, -100, 1.5, Number.MAX_SAFE_INTEGER + 2, 10_000_000_001])('answers INVALID_AMOUNT for %d', (amount) => {
    for (const request of [
      { op: 'deposit', session: 's1', amount },
      { op: 'withdraw', session: 's1', withdrawal: 'w9', amount },
    ] as const) {
      const outcome = run(request, { session, account });
      expect(code(outcome)).toBe('INVALID_AMOUNT');
      expect(outcome.changes.account).toBeUndefined();
    }
  });

  it('answers LIMIT_EXCEEDED above the single deposit and withdrawal limits, and at the balance cap', () => {
    const limits = DEFAULT_LEDGER_LIMITS;
    expect(code(run({ op: 'deposit', session: 's1', amount: limits.depositLimit }, { session, account }))).toBe('APPROVED');
    expect(code(run({ op: 'deposit', session: 's1', amount: limits.depositLimit + 1 }, { session, account }))).toBe('LIMIT_EXCEEDED');
    const rich = { ...account, balance: limits.maxBalance };
    expect(code(run({ op: 'withdraw', session: 's1', withdrawal: 'w2', amount: limits.withdrawalLimit }, { session, account: rich }))).toBe('APPROVED');
    expect(code(run({ op: 'withdraw', session: 's1', withdrawal: 'w2', amount: limits.withdrawalLimit + 1 }, { session, account: rich }))).toBe('LIMIT_EXCEEDED');
    expect(code(run({ op: 'deposit', session: 's1', amount: 1 }, { session, account: rich }))).toBe('LIMIT_EXCEEDED');
  });

  it('authorizes a withdrawal by holding the funds', () => {
    const outcome = run({ op: 'withdraw', session: 's1', withdrawal: 'w2', amount: 50_000 }, { session, account });
    expect(code(outcome)).toBe('APPROVED');
    expect(outcome.reply).toMatchObject({ withdrawal: 'w2', amount: 50_000, balance: 50_000 });
    expect(outcome.changes.putWithdrawal).toEqual({ id: 'w2', terminal: 't1', card: account.card, amount: 50_000, status: 'held' });
  });

  it('withdraws exactly the balance and refuses one cent more with INSUFFICIENT_FUNDS', () => {
    expect(code(run({ op: 'withdraw', session: 's1', withdrawal: 'w2', amount: 100_000 }, { session, account }))).toBe('APPROVED');
    const outcome = run({ op: 'withdraw', session: 's1', withdrawal: 'w2', amount: 100_001 }, { session, account });
    expect(code(outcome)).toBe('INSUFFICIENT_FUNDS');
    expect(outcome.reply.balance).toBe(100_000);
    expect(outcome.changes.putWithdrawal).toBeUndefined();
  });

  it('declines a reused withdrawal id (DUPLICATE_TRANSACTION) and a reversed one (WITHDRAWAL_REVERSED)', () => {
    expect(code(run({ op: 'withdraw', session: 's1', withdrawal: 'w1', amount: 100 }, { session, account, withdrawal: held }))).toBe('DUPLICATE_TRANSACTION');
    const tombstone: WithdrawalRow = { id: 'w1', terminal: 't1', card: null, amount: 0, status: 'reversed' };
    const late = run({ op: 'withdraw', session: 's1', withdrawal: 'w1', amount: 100 }, { session, account, withdrawal: tombstone });
    expect(code(late)).toBe('WITHDRAWAL_REVERSED');
    expect(late.changes.account).toBeUndefined();
  });

  it('logs out', () => {
    const outcome = run({ op: 'logout', session: 's1' }, { session, account });
    expect(code(outcome)).toBe('APPROVED');
    expect(outcome.changes.deleteSession).toBe('s1');
  });
});

describe('decideOperation: confirmation and reversal', () => {
  it('confirms a held withdrawal, and again idempotently', () => {
    const outcome = run({ op: 'confirm', withdrawal: 'w1' }, { withdrawal: held });
    expect(code(outcome)).toBe('APPROVED');
    expect(outcome.changes.putWithdrawal?.status).toBe('dispensed');
    const again = run({ op: 'confirm', withdrawal: 'w1' }, { withdrawal: { ...held, status: 'dispensed' } });
    expect(code(again)).toBe('APPROVED');
    expect(again.changes).toEqual({});
  });

  it('answers UNKNOWN_WITHDRAWAL to a confirmation of nothing, WITHDRAWAL_REVERSED after a reversal', () => {
    expect(code(run({ op: 'confirm', withdrawal: 'w1' }, {}))).toBe('UNKNOWN_WITHDRAWAL');
    expect(code(run({ op: 'confirm', withdrawal: 'w1' }, { withdrawal: { ...held, status: 'reversed' } }))).toBe('WITHDRAWAL_REVERSED');
  });

  it('reverses a held withdrawal: the funds come back', () => {
    const outcome = run({ op: 'reverse', withdrawal: 'w1' }, { withdrawal: held, account: { ...account, balance: 95_000 } });
    expect(code(outcome)).toBe('APPROVED');
    expect(outcome.changes.account?.balance).toBe(100_000);
    expect(outcome.changes.putWithdrawal?.status).toBe('reversed');
  });

  it('acknowledges a reversal of an unknown withdrawal and records it, so a late original is declined', () => {
    const outcome = run({ op: 'reverse', withdrawal: 'w7' }, {});
    expect(code(outcome)).toBe('APPROVED');
    expect(outcome.changes.putWithdrawal).toEqual({ id: 'w7', terminal: 't1', card: null, amount: 0, status: 'reversed' });
  });

  it('reverses idempotently and refuses to reverse dispensed cash (WITHDRAWAL_COMPLETED)', () => {
    const again = run({ op: 'reverse', withdrawal: 'w1' }, { withdrawal: { ...held, status: 'reversed' }, account });
    expect(code(again)).toBe('APPROVED');
    expect(again.changes).toEqual({});
    const done = run({ op: 'reverse', withdrawal: 'w1' }, { withdrawal: { ...held, status: 'dispensed' }, account });
    expect(code(done)).toBe('WITHDRAWAL_COMPLETED');
    expect(done.changes).toEqual({});
  });
});

describe('response codes', () => {
  it('records an invalid payload as INVALID_REQUEST without changing anything', () => {
    const outcome = invalidRequestOutcome('op: invalid', { terminal: 't1', seq: 3, now: NOW });
    seen.add(outcome.reply.code);
    expect(outcome.reply.code).toBe('INVALID_REQUEST');
    expect(outcome.changes).toEqual({});
    expect(outcome.journal).toMatchObject({ op: 'invalid', seq: 3 });
  });

  it('has a unit test above for every code in the table', () => {
    expect([...seen].sort()).toEqual([...RESPONSE_CODE_NAMES].sort());
  });
});
