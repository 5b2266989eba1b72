/**
 * The bank's rules, sans I/O: one pure function decides what an operation does given the rows it
 * touches, and returns the reply, the row changes and the journal entry. Every store (memory,
 * SQLite, PostgreSQL) loads the rows inside the request log's transaction (locking them where the
 * database needs it), calls {@link decideOperation}, and writes the changes and the journal entry
 * in that same transaction, so a ledger change and its completion record commit together or not
 * at all. Keeping the rules in one function is what lets the three stores agree.
 *
 * Money: an account's `balance` is its *available* balance; an authorized withdrawal moves the
 * amount from the balance into a `held` withdrawal; confirmation marks it `dispensed` (the cash
 * left the machine); reversal gives it back and marks it `reversed`. So at every commit:
 * `initial total + Σ approved deposits = Σ balances + Σ held + Σ dispensed`.
 *
 * Withdrawal ids are chosen by the ATM and are global: a reversal for an id the bank has never
 * seen is recorded (as a reversed withdrawal of nothing) and acknowledged, so an original that
 * arrives late is declined instead of taking money the ATM never dispensed.
 */
import { MAX_AMOUNT_MINOR, formatAmount, isValidMinorAmount } from './amount.js';
import type { AtmOperation, AtmReply, AtmRequest } from './messages.js';
import { MAX_PIN_TRIES } from './pin.js';
import { RESPONSE_CODES, type ResponseCode } from './response-codes.js';

/** Default idle time before a session expires: 5 minutes. */
export const DEFAULT_SESSION_IDLE_MS = 5 * 60 * 1000;
/** Default largest single withdrawal: 20,000.00. */
export const DEFAULT_WITHDRAWAL_LIMIT = 2_000_000;
/** Default largest single deposit: 50,000.00. */
export const DEFAULT_DEPOSIT_LIMIT = 5_000_000;
/** Default largest balance an account may reach: 1,000,000,000.00. */
export const DEFAULT_MAX_BALANCE = 100_000_000_000;

/** The bank's limits, all in minor units except `sessionIdleMs`. */
export interface LedgerLimits {
  readonly sessionIdleMs: number;
  readonly withdrawalLimit: number;
  readonly depositLimit: number;
  readonly maxBalance: number;
}

/** The default limits. */
export const DEFAULT_LEDGER_LIMITS: LedgerLimits = {
  sessionIdleMs: DEFAULT_SESSION_IDLE_MS,
  withdrawalLimit: DEFAULT_WITHDRAWAL_LIMIT,
  depositLimit: DEFAULT_DEPOSIT_LIMIT,
  maxBalance: DEFAULT_MAX_BALANCE,
};

export interface AccountRow {
  readonly card: string;
  readonly holder: string;
  /** `scrypt$…` (see `pin.ts`). */
  readonly pinHash: string;
  /** Available balance, minor units, never negative. */
  readonly balance: number;
  /** Wrong PINs in a row; the card is locked at {@link MAX_PIN_TRIES}. */
  readonly pinTries: number;
}

export interface SessionRow {
  readonly token: string;
  readonly card: string;
  readonly expiresAt: number;
}

export type WithdrawalStatus = 'held' | 'dispensed' | 'reversed';

export interface WithdrawalRow {
  readonly id: string;
  /** The request-log client id of the ATM that authorized (or pre-emptively reversed) it. */
  readonly terminal: string;
  /** Null for a reversal of a withdrawal the bank never saw. */
  readonly card: string | null;
  readonly amount: number;
  readonly status: WithdrawalStatus;
}

/** One applied operation, as the append-only journal keeps it. */
export interface JournalEntry {
  readonly at: number;
  /** Request id: the request-log client id and sequence number. */
  readonly terminal: string;
  readonly seq: number;
  readonly op: AtmOperation | 'invalid';
  readonly card: string | null;
  readonly amount: number | null;
  readonly withdrawal: string | null;
  readonly code: ResponseCode;
  /** Available balance after the operation, when an account was involved. */
  readonly balance: number | null;
}

/** The rows an operation reads, loaded by the store (see {@link rowsNeeded}). */
export interface LoadedRows {
  readonly account?: AccountRow | undefined;
  readonly session?: SessionRow | undefined;
  readonly withdrawal?: WithdrawalRow | undefined;
}

/** What the store must write, besides the journal entry. */
export interface LedgerChanges {
  readonly account?: { readonly card: string; readonly balance: number; readonly pinTries: number };
  readonly putSession?: SessionRow;
  readonly deleteSession?: string;
  /** Delete this card's sessions that expired before `now` (keeps the table bounded). */
  readonly purgeExpiredSessionsOf?: { readonly card: string; readonly now: number };
  readonly putWithdrawal?: WithdrawalRow;
}

export interface OperationContext {
  /** The request id. */
  readonly terminal: string;
  readonly seq: number;
  /** The server's clock when the request was accepted (ms). */
  readonly now: number;
  readonly limits: LedgerLimits;
  /** For `login`: whether the PIN block matched the stored hash (checked in constant time by the store). */
  readonly pinMatches?: boolean;
  /** For `login`: the token of the session to open (random, chosen by the store). */
  readonly newSessionToken?: string;
}

export interface OperationOutcome {
  readonly reply: AtmReply;
  readonly changes: LedgerChanges;
  readonly journal: JournalEntry;
}

/**
 * Which rows an operation reads, so every store loads the same ones: `account` by card (login),
 * `session` by token then `account` by the session's card, `withdrawal` by id then `account` by
 * the withdrawal's card (reversal).
 */
export function rowsNeeded(request: AtmRequest): { readonly session?: string; readonly card?: string; readonly withdrawal?: string } {
  switch (request.op) {
    case 'login':
      return { card: request.card };
    case 'balance':
    case 'deposit':
    case 'logout':
      return { session: request.session };
    case 'withdraw':
      return { session: request.session, withdrawal: request.withdrawal };
    case 'confirm':
    case 'reverse':
      return { withdrawal: request.withdrawal };
  }
}

function reply(code: ResponseCode, fields: Omit<AtmReply, 'code' | 'message'> = {}, message: string = RESPONSE_CODES[code].message): AtmReply {
  return { code, message, ...fields };
}

/** The outcome of a payload that failed validation: recorded like any other, changes nothing. */
export function invalidRequestOutcome(message: string, context: Pick<OperationContext, 'terminal' | 'seq' | 'now'>): OperationOutcome {
  return {
    reply: reply('INVALID_REQUEST', {}, `invalid request: ${message}`),
    changes: {},
    journal: { at: context.now, terminal: context.terminal, seq: context.seq, op: 'invalid', card: null, amount: null, withdrawal: null, code: 'INVALID_REQUEST', balance: null },
  };
}

function amountProblem(amount: number, limit: number, limitName: string): AtmReply | undefined {
  if (!isValidMinorAmount(amount)) {
    const why = !Number.isSafeInteger(amount) ? 'not a whole number of cents' : amount <= 0 ? 'must be more than zero' : `larger than ${formatAmount(MAX_AMOUNT_MINOR)}`;
    return reply('INVALID_AMOUNT', {}, `invalid amount: ${why}`);
  }
  if (amount > limit) return reply('LIMIT_EXCEEDED', { amount }, `amount exceeds the ${limitName} limit of ${formatAmount(limit)}`);
  return undefined;
}

/** Decides one operation (see the module comment). Pure. */
export function decideOperation(request: AtmRequest, rows: LoadedRows, context: OperationContext): OperationOutcome {
  const { now, limits } = context;
  let card: string | null = null;
  let amount: number | null = null;
  let withdrawalId: string | null = null;
  let balanceAfter: number | null = null;
  const changes: { -readonly [K in keyof LedgerChanges]: LedgerChanges[K] } = {};

  const decide = (): AtmReply => {
    if (request.op === 'login') {
      card = request.card;
      const account = rows.account;
      if (account === undefined) return reply('UNKNOWN_CARD');
      if (account.pinTries >= MAX_PIN_TRIES) return reply('PIN_TRIES_EXCEEDED');
      if (context.pinMatches !== true) {
        const pinTries = account.pinTries + 1;
        changes.account = { card: account.card, balance: account.balance, pinTries };
        if (pinTries >= MAX_PIN_TRIES) return reply('PIN_TRIES_EXCEEDED');
        return reply('INCORRECT_PIN', { triesLeft: MAX_PIN_TRIES - pinTries });
      }
      const token = context.newSessionToken;
      if (token === undefined) throw new Error('login needs a session token from the store');
      if (account.pinTries !== 0) changes.account = { card: account.card, balance: account.balance, pinTries: 0 };
      const expiresAt = now + limits.sessionIdleMs;
      changes.purgeExpiredSessionsOf = { card: account.card, now };
      changes.putSession = { token, card: account.card, expiresAt };
      return reply('APPROVED', { session: token, holder: account.holder, expiresAt });
    }

    if (request.op === 'confirm' || request.op === 'reverse') {
      withdrawalId = request.withdrawal;
      const held = rows.withdrawal;
      if (held === undefined) {
        if (request.op === 'confirm') return reply('UNKNOWN_WITHDRAWAL');
        changes.putWithdrawal = { id: request.withdrawal, terminal: context.terminal, card: null, amount: 0, status: 'reversed' };
        return reply('APPROVED', { withdrawal: request.withdrawal, amount: 0 }, 'approved: no such withdrawal; recorded as reversed so a late original is declined');
      }
      card = held.card;
      amount = held.amount;
      if (request.op === 'confirm') {
        if (held.status === 'reversed') return reply('WITHDRAWAL_REVERSED', { withdrawal: held.id });
        if (held.status === 'held') changes.putWithdrawal = { ...held, status: 'dispensed' };
        return reply('APPROVED', { withdrawal: held.id, amount: held.amount });
      }
      if (held.status === 'dispensed') return reply('WITHDRAWAL_COMPLETED', { withdrawal: held.id });
      if (held.status === 'reversed') return reply('APPROVED', { withdrawal: held.id, amount: held.amount }, 'approved: already reversed');
      const account = rows.account;
      if (account === undefined) throw new Error(`withdrawal ${held.id} names an account that does not exist`);
      balanceAfter = account.balance + held.amount;
      changes.account = { card: account.card, balance: balanceAfter, pinTries: account.pinTries };
      changes.putWithdrawal = { ...held, status: 'reversed' };
      return reply('APPROVED', { withdrawal: held.id, amount: held.amount, balance: balanceAfter });
    }

    // Session operations.
    const session = rows.session;
    if (session === undefined) return reply('UNKNOWN_SESSION');
    card = session.card;
    if (session.expiresAt <= now) {
      changes.deleteSession = session.token;
      return reply('SESSION_EXPIRED');
    }
    const account = rows.account;
    if (account === undefined) throw new Error(`session names an account that does not exist`);
    if (account.pinTries >= MAX_PIN_TRIES) {
      changes.deleteSession = session.token;
      return reply('PIN_TRIES_EXCEEDED');
    }
    if (request.op === 'logout') {
      changes.deleteSession = session.token;
      return reply('APPROVED');
    }
    // Any other use keeps the session alive.
    const expiresAt = now + limits.sessionIdleMs;
    changes.putSession = { ...session, expiresAt };
    balanceAfter = account.balance;
    if (request.op === 'balance') return reply('APPROVED', { balance: account.balance, expiresAt });
    amount = Number.isSafeInteger(request.amount) ? request.amount : null;
    if (request.op === 'deposit') {
      const problem = amountProblem(request.amount, limits.depositLimit, 'deposit');
      if (problem !== undefined) return problem;
      if (account.balance + request.amount > limits.maxBalance) {
        return reply('LIMIT_EXCEEDED', { amount: request.amount, balance: account.balance }, `the balance would exceed the account limit of ${formatAmount(limits.maxBalance)}`);
      }
      balanceAfter = account.balance + request.amount;
      changes.account = { card: account.card, balance: balanceAfter, pinTries: account.pinTries };
      return reply('APPROVED', { amount: request.amount, balance: balanceAfter, expiresAt });
    }
    withdrawalId = request.withdrawal;
    const problem = amountProblem(request.amount, limits.withdrawalLimit, 'withdrawal');
    if (problem !== undefined) return problem;
    const existing = rows.withdrawal;
    if (existing !== undefined) {
      if (existing.status === 'reversed') return reply('WITHDRAWAL_REVERSED', { withdrawal: existing.id });
      return reply('DUPLICATE_TRANSACTION', { withdrawal: existing.id });
    }
    if (request.amount > account.balance) return reply('INSUFFICIENT_FUNDS', { amount: request.amount, balance: account.balance });
    balanceAfter = account.balance - request.amount;
    changes.account = { card: account.card, balance: balanceAfter, pinTries: account.pinTries };
    changes.putWithdrawal = { id: request.withdrawal, terminal: context.terminal, card: account.card, amount: request.amount, status: 'held' };
    return reply('APPROVED', { withdrawal: request.withdrawal, amount: request.amount, balance: balanceAfter, expiresAt });
  };

  const answer = decide();
  return {
    reply: answer,
    changes,
    journal: { at: now, terminal: context.terminal, seq: context.seq, op: request.op, card, amount, withdrawal: withdrawalId, code: answer.code, balance: balanceAfter },
  };
}
