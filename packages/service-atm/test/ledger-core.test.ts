import { describe, expect, it } from 'vitest';
import { isAtmError } from '../src/errors.js';
import {
  type AccountRow,
  DEFAULT_LEDGER_LIMITS,
  type LoadedRows,
  type OperationContext,
  type OperationOutcome,
  type SessionRow,
  type WithdrawalRow,
  decideOperation,
} from '../src/ledger-core.js';
import type { AtmRequest } from '../src/messages.js';
import { RESPONSE_CODE_NAMES, type ResponseCode } from '../src/response-codes.js';

const NOW = 1_000_000;
const IDLE = DEFAULT_LEDGER_LIMITS.sessionIdleMs;
const S1 = 's1';
const account: AccountRow = { card: '123456789', holder: 'Lab User', pinHash: 'kscrypt$4$8$1$00$00', balance: 100_000, pinTries: 0 };
const session: SessionRow = { token: S1, card: '123456789', terminal: 't1', expiresAt: NOW + 60_000 };
const held: WithdrawalRow = { id: 'w1', terminal: 't1', session: S1, card: '123456789', amount: 5_000, status: 'held' };
const newSession = { token: 'new-token', dh: 'b'.repeat(512), wrappedKey: 'c'.repeat(64) };
const context: OperationContext = { terminal: 't1', seq: 1, now: NOW, limits: DEFAULT_LEDGER_LIMITS, pinMatches: true, newSession };
const BLOCK = 'a'.repeat(64);
const login = (card = account.card): AtmRequest => ({ op: 'login', card, pinBlock: BLOCK, dh: 'd'.repeat(512) });
const limits = DEFAULT_LEDGER_LIMITS;
const rich = { ...account, balance: limits.maxBalance };

/** One row of the rules: a request, the rows it finds, the context, and what must come out. */
interface Case {
  readonly name: string;
  readonly request: AtmRequest;
  readonly rows: LoadedRows;
  readonly context?: Partial<OperationContext>;
  readonly code: ResponseCode;
  readonly check?: (outcome: OperationOutcome) => void;
}

const cases: readonly Case[] = [
  // --- login ---
  {
    name: 'approves the right PIN, opens a session bound to the terminal and resets the tries',
    request: login(),
    rows: { account: { ...account, pinTries: 2 } },
    code: 'APPROVED',
    check: (o) => {
      expect(o.reply).toMatchObject({ session: 'new-token', holder: 'Lab User', expiresAt: NOW + IDLE, dh: newSession.dh, wrappedKey: newSession.wrappedKey });
      expect(o.changes.putSession).toEqual({ token: 'new-token', card: account.card, terminal: 't1', expiresAt: NOW + IDLE });
      expect(o.changes.account?.pinTries).toBe(0);
      expect(o.journal).toMatchObject({ op: 'login', code: 'APPROVED', terminal: 't1', seq: 1 });
    },
  },
  {
    name: 'answers UNKNOWN_CARD for a card with no account, changing and journaling nothing',
    request: login('999999999'),
    rows: {},
    code: 'UNKNOWN_CARD',
    check: (o) => {
      expect(o.changes).toEqual({});
      expect(o.journal).toBeUndefined();
    },
  },
  {
    name: 'counts a wrong PIN and says how many tries are left',
    request: login(),
    rows: { account },
    context: { pinMatches: false },
    code: 'INCORRECT_PIN',
    check: (o) => {
      expect(o.reply.triesLeft).toBe(2);
      expect(o.changes).toEqual({ account: { card: account.card, balance: account.balance, pinTries: 1 } });
      expect(o.journal).toMatchObject({ op: 'login', code: 'INCORRECT_PIN' });
    },
  },
  {
    name: 'locks the card on the third wrong PIN',
    request: login(),
    rows: { account: { ...account, pinTries: 2 } },
    context: { pinMatches: false },
    code: 'PIN_TRIES_EXCEEDED',
    check: (o) => {
      expect(o.changes.account?.pinTries).toBe(3);
    },
  },
  {
    name: 'refuses even the right PIN on a locked card, changing and journaling nothing',
    request: login(),
    rows: { account: { ...account, pinTries: 3 } },
    code: 'PIN_TRIES_EXCEEDED',
    check: (o) => {
      expect(o.changes).toEqual({});
      expect(o.journal).toBeUndefined();
    },
  },
  // --- session operations ---
  {
    name: 'answers the balance and keeps the session alive',
    request: { op: 'balance', session: S1 },
    rows: { session, account },
    code: 'APPROVED',
    check: (o) => {
      expect(o.reply.balance).toBe(100_000);
      expect(o.changes.putSession?.expiresAt).toBe(NOW + IDLE);
    },
  },
  { name: 'answers UNKNOWN_SESSION for a token it never issued', request: { op: 'balance', session: 'nope' }, rows: {}, code: 'UNKNOWN_SESSION' },
  {
    name: 'answers UNKNOWN_SESSION to a terminal that did not open the session, changing nothing',
    request: { op: 'withdraw', session: S1, withdrawal: 'w9', amount: 100 },
    rows: { session, account },
    context: { terminal: 't2' },
    code: 'UNKNOWN_SESSION',
    check: (o) => {
      expect(o.changes).toEqual({});
    },
  },
  {
    name: 'answers SESSION_EXPIRED once the idle time has passed, and forgets the session',
    request: { op: 'deposit', session: S1, amount: 100 },
    rows: { session: { ...session, expiresAt: NOW }, account },
    code: 'SESSION_EXPIRED',
    check: (o) => {
      expect(o.changes).toEqual({ deleteSession: S1 });
    },
  },
  {
    name: 'ends a session whose card was locked meanwhile',
    request: { op: 'balance', session: S1 },
    rows: { session, account: { ...account, pinTries: 3 } },
    code: 'PIN_TRIES_EXCEEDED',
    check: (o) => {
      expect(o.changes).toEqual({ deleteSession: S1 });
    },
  },
  {
    name: 'deposits',
    request: { op: 'deposit', session: S1, amount: 20_000 },
    rows: { session, account },
    code: 'APPROVED',
    check: (o) => {
      expect(o.reply).toMatchObject({ amount: 20_000, balance: 120_000 });
      expect(o.changes.account?.balance).toBe(120_000);
      expect(o.journal).toMatchObject({ op: 'deposit', amount: 20_000, balance: 120_000 });
    },
  },
  ...[0, -100, 1.5, Number.MAX_SAFE_INTEGER + 2, 10_000_000_001].flatMap((amount): Case[] => [
    { name: `answers INVALID_AMOUNT to a deposit of ${amount}`, request: { op: 'deposit', session: S1, amount }, rows: { session, account }, code: 'INVALID_AMOUNT', check: (o) => { expect(o.changes.account).toBeUndefined(); } },
    { name: `answers INVALID_AMOUNT to a withdrawal of ${amount}`, request: { op: 'withdraw', session: S1, withdrawal: 'w9', amount }, rows: { session, account }, code: 'INVALID_AMOUNT', check: (o) => { expect(o.changes.account).toBeUndefined(); } },
  ]),
  { name: 'accepts a deposit at the single deposit limit', request: { op: 'deposit', session: S1, amount: limits.depositLimit }, rows: { session, account }, code: 'APPROVED' },
  { name: 'answers LIMIT_EXCEEDED one cent over the deposit limit', request: { op: 'deposit', session: S1, amount: limits.depositLimit + 1 }, rows: { session, account }, code: 'LIMIT_EXCEEDED' },
  { name: 'accepts a withdrawal at the single withdrawal limit', request: { op: 'withdraw', session: S1, withdrawal: 'w2', amount: limits.withdrawalLimit }, rows: { session, account: rich }, code: 'APPROVED' },
  { name: 'answers LIMIT_EXCEEDED one cent over the withdrawal limit', request: { op: 'withdraw', session: S1, withdrawal: 'w2', amount: limits.withdrawalLimit + 1 }, rows: { session, account: rich }, code: 'LIMIT_EXCEEDED' },
  { name: 'answers LIMIT_EXCEEDED to a deposit past the balance cap', request: { op: 'deposit', session: S1, amount: 1 }, rows: { session, account: rich }, code: 'LIMIT_EXCEEDED' },
  {
    name: 'authorizes a withdrawal by holding the funds for the authorizing session',
    request: { op: 'withdraw', session: S1, withdrawal: 'w2', amount: 50_000 },
    rows: { session, account },
    code: 'APPROVED',
    check: (o) => {
      expect(o.reply).toMatchObject({ withdrawal: 'w2', amount: 50_000, balance: 50_000 });
      expect(o.changes.putWithdrawal).toEqual({ id: 'w2', terminal: 't1', session: S1, card: account.card, amount: 50_000, status: 'held' });
    },
  },
  { name: 'withdraws exactly the balance', request: { op: 'withdraw', session: S1, withdrawal: 'w2', amount: 100_000 }, rows: { session, account }, code: 'APPROVED' },
  {
    name: 'refuses one cent more than the balance with INSUFFICIENT_FUNDS',
    request: { op: 'withdraw', session: S1, withdrawal: 'w2', amount: 100_001 },
    rows: { session, account },
    code: 'INSUFFICIENT_FUNDS',
    check: (o) => {
      expect(o.reply.balance).toBe(100_000);
      expect(o.changes.putWithdrawal).toBeUndefined();
    },
  },
  { name: 'declines a reused withdrawal id (DUPLICATE_TRANSACTION)', request: { op: 'withdraw', session: S1, withdrawal: 'w1', amount: 100 }, rows: { session, account, withdrawal: held }, code: 'DUPLICATE_TRANSACTION' },
  {
    name: 'declines an authorization whose id was reversed first (WITHDRAWAL_REVERSED)',
    request: { op: 'withdraw', session: S1, withdrawal: 'w1', amount: 100 },
    rows: { session, account, withdrawal: { ...held, card: null, amount: 0, status: 'reversed' } },
    code: 'WITHDRAWAL_REVERSED',
    check: (o) => {
      expect(o.changes.account).toBeUndefined();
    },
  },
  { name: 'logs out', request: { op: 'logout', session: S1 }, rows: { session, account }, code: 'APPROVED', check: (o) => { expect(o.changes).toEqual({ deleteSession: S1 }); } },
  // --- confirmation and reversal ---
  {
    name: 'confirms a held withdrawal',
    request: { op: 'confirm', session: S1, withdrawal: 'w1' },
    rows: { withdrawal: held },
    code: 'APPROVED',
    check: (o) => {
      expect(o.changes.putWithdrawal?.status).toBe('dispensed');
    },
  },
  { name: 'confirms a dispensed withdrawal again, changing nothing', request: { op: 'confirm', session: S1, withdrawal: 'w1' }, rows: { withdrawal: { ...held, status: 'dispensed' } }, code: 'APPROVED', check: (o) => { expect(o.changes).toEqual({}); } },
  { name: 'answers UNKNOWN_WITHDRAWAL to a confirmation of nothing', request: { op: 'confirm', session: S1, withdrawal: 'w1' }, rows: {}, code: 'UNKNOWN_WITHDRAWAL' },
  { name: 'answers WITHDRAWAL_REVERSED to a confirmation after the reversal', request: { op: 'confirm', session: S1, withdrawal: 'w1' }, rows: { withdrawal: { ...held, status: 'reversed' } }, code: 'WITHDRAWAL_REVERSED' },
  {
    name: 'reverses a held withdrawal: the funds come back',
    request: { op: 'reverse', session: S1, withdrawal: 'w1' },
    rows: { withdrawal: held, account: { ...account, balance: 95_000 } },
    code: 'APPROVED',
    check: (o) => {
      expect(o.changes.account?.balance).toBe(100_000);
      expect(o.changes.putWithdrawal?.status).toBe('reversed');
    },
  },
  {
    name: 'acknowledges a reversal of an unknown withdrawal and records it for its session, so a late original is declined',
    request: { op: 'reverse', session: S1, withdrawal: 'w7' },
    rows: {},
    code: 'APPROVED',
    check: (o) => {
      expect(o.changes.putWithdrawal).toEqual({ id: 'w7', terminal: 't1', session: S1, card: null, amount: 0, status: 'reversed' });
    },
  },
  { name: 'reverses idempotently', request: { op: 'reverse', session: S1, withdrawal: 'w1' }, rows: { withdrawal: { ...held, status: 'reversed' }, account }, code: 'APPROVED', check: (o) => { expect(o.changes).toEqual({}); } },
  { name: 'refuses to reverse dispensed cash (WITHDRAWAL_COMPLETED)', request: { op: 'reverse', session: S1, withdrawal: 'w1' }, rows: { withdrawal: { ...held, status: 'dispensed' }, account }, code: 'WITHDRAWAL_COMPLETED', check: (o) => { expect(o.changes).toEqual({}); } },
  ...(['confirm', 'reverse'] as const).flatMap((op): Case[] => [
    {
      name: `refuses to ${op} a withdrawal of another session (NOT_PERMITTED), changing nothing`,
      request: { op, session: 's2', withdrawal: 'w1' },
      rows: { withdrawal: held, account },
      context: { terminal: 't2' },
      code: 'NOT_PERMITTED',
      check: (o) => {
        expect(o.changes).toEqual({});
        expect(o.reply).not.toHaveProperty('amount');
      },
    },
    {
      name: `refuses to ${op} a withdrawal of a store written before sessions were bound (NOT_PERMITTED)`,
      request: { op, session: S1, withdrawal: 'w1' },
      rows: { withdrawal: { ...held, session: null }, account },
      code: 'NOT_PERMITTED',
    },
  ]),
];

describe('decideOperation', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const outcome = decideOperation(c.request, c.rows, { ...context, ...c.context });
    expect(outcome.reply.code).toBe(c.code);
    c.check?.(outcome);
  });

  it('has a case for every response code but INVALID_REQUEST, which the service answers before the ledger', () => {
    const covered = new Set(cases.map((c) => c.code));
    expect([...covered].sort()).toEqual(RESPONSE_CODE_NAMES.filter((code) => code !== 'INVALID_REQUEST').sort());
  });

  it('throws ERR_CORRUPT_LEDGER for rows that cannot exist', () => {
    const { newSession: _dropped, ...withoutSession } = context;
    const impossible: [AtmRequest, LoadedRows, OperationContext][] = [
      [{ op: 'balance', session: S1 }, { session }, context],
      [{ op: 'reverse', session: S1, withdrawal: 'w1' }, { withdrawal: held }, context],
      [login(), { account }, withoutSession],
    ];
    for (const [request, rows, settings] of impossible) {
      let thrown: unknown;
      try {
        decideOperation(request, rows, settings);
      } catch (error) {
        thrown = error;
      }
      expect(isAtmError(thrown, 'ERR_CORRUPT_LEDGER'), request.op).toBe(true);
    }
  });
});
